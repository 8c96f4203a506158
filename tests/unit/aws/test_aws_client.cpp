// The AWS send against an in-process HTTP server on 127.0.0.1: the call deadline over a slow
// drip, the answer cap, header injection refused before sending, cancellation of the request
// in flight (and clean-up calls that survive it), userinfo never sent nor printed.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "exporter/aws/aws_client.hpp"
#include "local_http_server.hpp"
#include "test_support.hpp"

using namespace kci;
using namespace kci::aws;
using namespace std::chrono_literals;
using kci::test::LocalServer;

namespace {

Client client_for(std::chrono::milliseconds timeout, std::size_t cap = k_max_response_bytes,
                  const Cancellation& cancel = Cancellation::never()) {
  ClientOptions o;
  o.call_timeout = timeout;
  o.call_timeout_name = "testAwsTimeout";
  o.max_response_bytes = cap;
  return Client(Endpoints{"us-east-1", "", "", ""}, o, cancel);
}

Request get(const LocalServer& s, const std::string& path) {
  Request r;
  r.call = "s3:ListObjectsV2 s3://b/p";
  r.base_url = "http://127.0.0.1:" + std::to_string(s.port);
  r.path = path;
  return r;
}

const Credentials k_creds{"AKIDEXAMPLE", "secret/key", "session-token", {}};

}  // namespace

TEST_CASE("aws_client: a slow-drip answer ends at the call deadline") {
  LocalServer s;
  s.server.Get("/drip", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/xml", [](std::size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(100ms);
      return sink.write("<", 1);  // one byte per 100 ms, forever
    });
  });
  s.start();
  Client c = client_for(1s);
  auto r = c.send(get(s, "/drip"), nullptr);
  // The deadline's own failure (a hang would never return; ctest's timeout would end it).
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::timeout);
  CHECK(r.failure().message ==
        "s3:ListObjectsV2 s3://b/p: no complete answer within 1s (testAwsTimeout)");
}

TEST_CASE("aws_client: an answer over the cap is refused, by Content-Length and by size read") {
  std::string big(std::size_t{64} * 1024, 'x');  // outlives the server threads that read it
  LocalServer s;
  s.server.Get("/len", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/xml");
  });
  s.server.Get("/chunked", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/xml", [&](std::size_t, httplib::DataSink& sink) {
      return sink.write(big.data(), big.size());  // endless
    });
  });
  s.server.Get("/mib", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string((1u << 20) + 1, 'x'), "application/xml");
  });
  s.start();
  Client c = client_for(10s, std::size_t{16} * 1024);
  for (const char* path : {"/len", "/chunked"}) {
    INFO(path);
    auto r = c.send(get(s, path), nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::too_large);
    CHECK(r.failure().message ==
          "s3:ListObjectsV2 s3://b/p: answer larger than 16384 bytes (the cap for an AWS "
          "answer): refused");
  }
  Client mib = client_for(10s, 1u << 20);
  auto r = mib.send(get(s, "/mib"), nullptr);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message.find("answer larger than 1 MiB") != std::string::npos);
}

TEST_CASE("aws_client: header lines that never end are cut at the head bound (64 KiB)") {
  // A raw server sends header lines forever; the head (status line and headers) is bounded.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  std::atomic<std::uint64_t> sent = 0;
  std::atomic<bool> client_done = false;
  std::thread server([&] {
    int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    char buf[4096];
    (void)::recv(c, buf, sizeof buf, 0);
    std::string flood = "HTTP/1.1 200 OK\r\n";
    const std::string line = "X-Flood: " + std::string(4000, 'a') + "\r\n";
    for (int i = 0; i < 64; ++i) flood += line;
    // Until the client is done: once it has closed, a send() can block on a full queue that
    // is never read, so sends time out and the loop looks at client_done.
    const timeval send_timeout{0, 100'000};
    ::setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    bool open = true;
    for (int i = 0; i < 100'000 && open && !client_done; ++i) {  // up to 25 GB
      for (std::size_t off = 0; off < flood.size() && !client_done;) {
        const ssize_t n = ::send(c, flood.data() + off, flood.size() - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) {
          open = false;
          break;
        }
        off += static_cast<std::size_t>(n);
        sent += static_cast<std::uint64_t>(n);
      }
      flood.erase(0, flood.find("X-Flood"));  // the status line only once
    }
    ::close(c);
  });
  Client c = client_for(30s, std::size_t{1} << 20);
  Request r;
  r.call = "s3:ListObjectsV2 s3://b/p";
  r.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto got = c.send(r, nullptr);
  const std::uint64_t sent_when_cut = sent;
  client_done = true;
  server.join();
  ::close(listener);
  REQUIRE_FALSE(got.ok());
  CHECK(got.failure().reason == FailureReason::too_large);
  CHECK(got.failure().message ==
        "s3:ListObjectsV2 s3://b/p: the answer's status line and headers exceed 64 KiB: refused");
  // Cut once 64 KiB of head arrived (the rest is socket buffers), far from the 25 GB on offer.
  CHECK(sent_when_cut < std::uint64_t{16} << 20);
}

TEST_CASE("aws_client: CR/LF in a header value or a credential is refused before sending") {
  std::atomic<int> requests = 0;
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("ok", "text/plain");
  });
  s.start();
  Client c = client_for(5s);
  Request bad = get(s, "/x");
  bad.headers = {{"Authorization", "token\r\nX-Injected: yes"}};
  auto r = c.send(bad, nullptr);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::credentials);
  CHECK(r.failure().message ==
        "s3:ListObjectsV2 s3://b/p: the Authorization header value holds a CR, LF or NUL "
        "character: refused");
  Credentials injected = k_creds;
  injected.session_token = "tok\nX-Injected: yes";
  Request signed_req = get(s, "/x");
  signed_req.service = "s3";
  auto r2 = c.send(signed_req, &injected);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.failure().reason == FailureReason::credentials);
  CHECK(r2.failure().message.find("X-Injected") == std::string::npos);
  CHECK(requests == 0);
  CHECK(c.send(signed_req, &k_creds).ok());
  CHECK(requests == 1);
  CHECK(is_safe_header_value("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3"));
  CHECK_FALSE(is_safe_header_value(std::string("a\0b", 3)));
}

TEST_CASE("aws_client: a cancellation cuts the request in flight; a clean-up call still runs") {
  std::atomic<int> deletes = 0;
  LocalServer s;
  s.server.Get("/stall", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/xml", [](std::size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(100ms);
      return sink.write(" ", 1);
    });
  });
  s.server.Delete("/abort", [&](const httplib::Request&, httplib::Response& res) {
    ++deletes;
    res.status = 204;
  });
  s.start();
  Cancellation cancel;
  Client c = client_for(60s, k_max_response_bytes, cancel);
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    cancel.cancel("interrupted by SIGTERM");
  });
  auto r = c.send(get(s, "/stall"), nullptr);
  stopper.join();
  // Cut by the cancellation, not left to the 60 s deadline (which would fail as `timeout`).
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::cancelled);
  CHECK(r.failure().message == "s3:ListObjectsV2 s3://b/p: cancelled: interrupted by SIGTERM");
  // Later calls fail at once; a clean-up call goes through.
  auto later = c.send(get(s, "/stall"), nullptr);
  REQUIRE_FALSE(later.ok());
  CHECK(later.failure().reason == FailureReason::cancelled);
  Request abort = get(s, "/abort");
  abort.method = "DELETE";
  abort.cleanup = true;
  auto cleaned = c.send(abort, nullptr);
  REQUIRE(cleaned.ok());
  CHECK(cleaned.value().status == 204);
  CHECK(deletes == 1);
}

TEST_CASE("aws_client: userinfo in an endpoint URL is never sent nor printed") {
  std::string seen_host, seen_auth;
  LocalServer s;
  s.server.Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
    seen_host = req.get_header_value("Host");
    seen_auth = req.get_header_value("Authorization");
    res.set_content("{}", "application/json");
  });
  s.start();
  Client c = client_for(5s);
  Request r = get(s, "/creds");
  r.base_url = "http://user:pod-secret-pw@127.0.0.1:" + std::to_string(s.port);
  auto ok = c.send(r, nullptr);
  REQUIRE(ok.ok());
  CHECK(seen_host == "127.0.0.1:" + std::to_string(s.port));
  CHECK(seen_auth.empty());

  // Nothing listens on a port we just had and released.
  const int closed = s.port;
  s.server.stop();
  s.thread.join();
  Request gone = r;
  gone.call = "EKS Pod Identity http://REDACTED@127.0.0.1:" + std::to_string(closed) + "/creds";
  gone.base_url = "http://user:pod-secret-pw@127.0.0.1:" + std::to_string(closed);
  auto failed = c.send(gone, nullptr);
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.failure().reason == FailureReason::connect);
  CHECK(failed.failure().message.find("pod-secret-pw") == std::string::npos);
  CHECK(failed.failure().message.find("127.0.0.1:" + std::to_string(closed)) != std::string::npos);
  Request invalid = r;
  invalid.base_url = "user:pod-secret-pw@127.0.0.1:9";
  auto bad = c.send(invalid, nullptr);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.failure().message ==
        "s3:ListObjectsV2 s3://b/p: invalid endpoint URL \"REDACTED@127.0.0.1:9\"");
}

TEST_CASE("aws_client: 5xx is retried within the deadline") {
  std::atomic<int> calls = 0;
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls < 3) {
      res.status = 503;
      res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
    } else {
      res.set_content("<ok/>", "application/xml");
    }
  });
  s.start();
  Client c = client_for(30s);
  auto r = c.send(get(s, "/x"), nullptr);
  REQUIRE(r.ok());
  CHECK(r.value().status == 200);
  CHECK(r.value().body == "<ok/>");
  CHECK(calls == 3);
}

TEST_CASE("aws_client: STS and Secrets Manager hosts take the partition's DNS suffix") {
  const auto& env = kci::test::env_of;
  auto e = Endpoints::from_environment(env({}), "us-east-1");
  CHECK(e.sts == "https://sts.us-east-1.amazonaws.com");
  CHECK(e.secrets_manager == "https://secretsmanager.us-east-1.amazonaws.com");
  CHECK(e.s3.empty());
  // China (partition aws-cn, botocore endpoints.json dnsSuffix amazonaws.com.cn).
  e = Endpoints::from_environment(env({}), "cn-north-1");
  CHECK(e.sts == "https://sts.cn-north-1.amazonaws.com.cn");
  CHECK(e.secrets_manager == "https://secretsmanager.cn-north-1.amazonaws.com.cn");
  e = Endpoints::from_environment(env({}), "us-gov-west-1");
  CHECK(e.sts == "https://sts.us-gov-west-1.amazonaws.com");
  CHECK(dns_suffix("cn-northwest-1") == "amazonaws.com.cn");
  CHECK(dns_suffix("eu-west-1") == "amazonaws.com");
  CHECK(service_endpoint("s3", "cn-north-1") == "https://s3.cn-north-1.amazonaws.com.cn");
  // The overrides win in every partition.
  e = Endpoints::from_environment(env({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"}}), "cn-north-1");
  CHECK(e.sts == "http://127.0.0.1:1");
  CHECK(e.secrets_manager == "http://127.0.0.1:1");
  CHECK(e.s3 == "http://127.0.0.1:1");
}

// The Kubecost client against an in-process HTTP server on 127.0.0.1.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "../support/process_memory.hpp"
#include "collecting_sink.hpp"
#include "exporter/http/http_client.hpp"
#include "fake_env.hpp"
#include "local_http_server.hpp"
#include "raw_peer.hpp"
#include "support/gzip_compress.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::FakeEnv;
using kci::test::LocalServer;

namespace {

// Runs `call` on its own thread while the fake clock jumps to each backoff deadline (a wait of
// at most 5 s; the request deadline, further off, is never reached), until the call returns.
template <class Call>
auto with_backoff_skipped(FakeEnv& env, Call call) {
  auto result = std::async(std::launch::async, call);
  while (result.wait_for(1ms) != std::future_status::ready) env.advance_to_next_deadline(5s, 10ms);
  return result.get();
}

// Blocks (bounded, in real time) until `count` reaches `at_least`.
void await_count(const std::atomic<int>& count, int at_least) {
  for (int i = 0; i < 1000 && count.load() < at_least; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(count.load() >= at_least);
}

}  // namespace

TEST_CASE("http: 2xx body with padding; bearer token read from its file", "[threads]") {
  std::string seen_auth;
  LocalServer s;
  s.server.Get("/model/allocation", [&](const httplib::Request& req, httplib::Response& res) {
    seen_auth = req.get_header_value("Authorization");
    res.set_content(R"({"data":[]})", "application/json");
  });
  s.start();
  char path[] = "/tmp/kci-token-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(write(fd, "s3cr3t\n", 7) == 7);
  close(fd);
  auto c = s.connection();
  c.bearer_token_file = path;
  HttpClient client(c);
  auto r = client.get("/model/allocation?window=1h");
  REQUIRE(r.ok());
  CHECK(r.value().body == R"({"data":[]})");
  CHECK(r.value().body.capacity() >= r.value().body.size() + k_body_padding);
  CHECK(seen_auth == "Bearer s3cr3t");
  std::remove(path);
}

namespace {

void write_file(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

}  // namespace

TEST_CASE("http: extra headers and basic auth from files, re-read for every request", "[threads]") {
  std::string seen_auth, seen_cookie, seen_org, seen_accept;
  LocalServer s;
  s.server.Get("/model/allocation", [&](const httplib::Request& req, httplib::Response& res) {
    seen_auth = req.get_header_value("Authorization");
    seen_cookie = req.get_header_value("Cookie");
    seen_org = req.get_header_value("X-Scope-OrgID");
    seen_accept = req.get_header_value("Accept");
    res.set_content("{}", "application/json");
  });
  s.start();
  char dir[] = "/tmp/kci-ingress-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string headers = std::string(dir) + "/headers";
  const std::string password = std::string(dir) + "/password";
  write_file(headers, "Cookie: token=one\nX-Scope-OrgID: 7\n");
  write_file(password, "open sesame\n");
  auto c = s.connection();
  c.headers_file = headers;
  c.basic_auth_username = "Aladdin";
  c.basic_auth_password_file = password;
  HttpClient client(c);
  REQUIRE(client.get("/model/allocation").ok());
  CHECK(seen_cookie == "token=one");
  CHECK(seen_org == "7");
  CHECK(seen_accept == "application/json");
  CHECK(seen_auth == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617's example

  // The Secret rotates: the next request sends the new values, without a restart.
  write_file(headers, "Cookie: token=two\n");
  write_file(password, "new-password");
  REQUIRE(client.get("/model/allocation").ok());
  CHECK(seen_cookie == "token=two");
  CHECK(seen_org.empty());
  CHECK(seen_auth == "Basic QWxhZGRpbjpuZXctcGFzc3dvcmQ=");

  // A file that turned bad fails the request with its one-line error, naming no value.
  write_file(headers, "Cookie: token=three\r\n");
  auto r = client.get("/model/allocation");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::connect);
  CHECK(r.failure().message ==
        "kubecostHeadersFile: \"" + headers + "\" line 1: holds a CR (use LF line ends)");
  std::remove(headers.c_str());
  r = client.get("/model/allocation");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message.find("cannot read") != std::string::npos);
  write_file(headers, "Cookie: token=four\n");
  write_file(password, "bad\r\n");
  r = client.get("/model/allocation");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message == "kubecostBasicAuthPasswordFile: \"" + password +
                                   "\": the password holds a CR, LF or control byte");
  CHECK(seen_cookie == "token=two");  // no request went out with a bad file
  std::remove(headers.c_str());
  std::remove(password.c_str());
  rmdir(dir);
}

TEST_CASE("http: retries 5xx with backoff, then succeeds", "[threads]") {
  std::atomic<int> calls = 0;
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls < 3) {
      res.status = 503;
      res.set_content("busy", "text/plain");
    } else {
      res.set_content("{}", "application/json");
    }
  });
  s.start();
  auto c = s.connection();
  c.retries = 2;
  c.request_timeout = 60s;  // never reached: the fake clock skips the backoff waits only
  FakeEnv env;
  HttpClient client(c, env);
  auto r = with_backoff_skipped(env, [&] { return client.get("/x"); });
  CHECK(r.ok());
  CHECK(calls == 3);
  CHECK(client.retries_total() == 2);
}

TEST_CASE("http: 4xx is not retried and reports status and body", "[threads]") {
  std::atomic<int> calls = 0;
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
    res.set_content("Invalid 'window' parameter\nmore", "text/plain");
  });
  s.start();
  auto c = s.connection();
  c.retries = 3;
  HttpClient client(c);
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::http_status);
  CHECK(r.failure().message == "HTTP 400: Invalid 'window' parameter more");
  CHECK(calls == 1);
}

TEST_CASE("http: an error answer keeps only the start of its body, however large it is",
          "[threads]") {
  // 256 MiB of error page, sent in 1 MiB chunks, with its Content-Length announced.
  constexpr std::size_t k_chunk = 1 << 20, k_chunks = 256;
  const std::string chunk(k_chunk, 'x');
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content_provider(k_chunk * k_chunks, "text/html",
                             [&](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                               sink.write(chunk.data(),
                                          std::min(k_chunk, k_chunk * k_chunks - offset));
                               return true;
                             });
  });
  s.start();
  auto c = s.connection();
  c.retries = 0;
  HttpClient client(c);
  const long before = kci::test::peak_rss_kib();
  auto r = client.get("/x");
  const long growth_kib = kci::test::peak_rss_kib() - before;
  REQUIRE_FALSE(r.ok());
  INFO(r.failure().message);
  CHECK(r.failure().http_status == 500);
  CHECK(r.failure().message.rfind("HTTP 500: xxxx", 0) == 0);
  // Neither kept nor reserved whole (it was 256 MiB): the server's own 1 MiB chunk and buffers.
  CHECK(growth_kib < 32 * 1024);
}

TEST_CASE("http: connection refused is reason connect", "[threads]") {
  HttpEndpoint c;
  c.url = "http://127.0.0.1:1";
  c.retries = 0;
  HttpClient client(c);
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::connect);
}

TEST_CASE("http: a slow-drip body hits the whole-request deadline", "[threads]") {
  LocalServer s;
  std::atomic<int> drips = 0;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](std::size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(10ms);
      ++drips;
      return sink.write(" ", 1);  // forever, one byte at a time
    });
  });
  s.start();
  auto c = s.connection();
  c.request_timeout = 700ms;
  FakeEnv env;
  HttpClient client(c, env);
  auto r = std::async(std::launch::async, [&] { return client.get("/x"); });
  await_count(drips, 3);  // the answer is arriving, byte by byte
  env.advance(700ms);     // the whole-request deadline passes
  auto got = r.get();
  REQUIRE_FALSE(got.ok());
  CHECK(got.failure().reason == FailureReason::timeout);
  CHECK(got.failure().message == "no complete response within kubecostTimeout=700ms");
}

TEST_CASE("http: a response over the cap is refused, by header and by streamed size", "[threads]") {
  std::string big(64 * 1024, 'x');  // outlives the server threads that read it
  LocalServer s;
  s.server.Get("/len", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(big, "application/json");
  });
  s.server.Get("/chunked", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](std::size_t, httplib::DataSink& sink) {
      return sink.write(big.data(), big.size());  // endless
    });
  });
  s.start();
  auto c = s.connection();
  c.max_response_bytes = 16 * 1024;
  HttpClient client(c);
  for (const char* path : {"/len", "/chunked"}) {
    INFO(path);
    auto r = client.get(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::too_large);
    CHECK(r.failure().message == "response larger than kubecostMaxResponseBytes=16384");
  }
}

TEST_CASE("http: redirects are reported, never followed (no loops)", "[threads]") {
  std::atomic<int> calls = 0;
  LocalServer s;
  s.server.Get("/loop", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.set_redirect("/loop");
  });
  s.start();
  HttpClient client(s.connection());
  auto r = client.get("/loop");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::http_status);
  CHECK(r.failure().message.starts_with("HTTP 302: redirect to /loop not followed"));
  CHECK(calls == 1);
}

TEST_CASE("http: gzip is decoded, a wrong Content-Encoding is a clear failure", "[threads]") {
  std::string json = R"({"data":[{"a":{"totalCost":1}}]})";  // outlives the server
  LocalServer s;
  // Content providers: httplib would otherwise gzip a set_content() body a second time.
  auto raw = [](httplib::Response& res, std::string bytes) {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    res.set_content_provider(owned->size(), "application/json",
                             [owned](std::size_t off, std::size_t len, httplib::DataSink& sink) {
                               return sink.write(owned->data() + off, len);
                             });
  };
  s.server.Get("/gz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    raw(res, kci::test::gzip_compress(json));
  });
  s.server.Get("/lie", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    raw(res, json);  // not gzip at all
  });
  s.server.Get("/odd", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "x-unknown");
    raw(res, json);
  });
  s.start();
  HttpClient client(s.connection());
  auto gz = client.get("/gz");
  REQUIRE(gz.ok());
  CHECK(gz.value().body == json);
  for (const char* path : {"/lie", "/odd"}) {
    INFO(path);
    auto r = client.get(path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("http: a cancelled client fails as cancelled (not connect) and sends nothing") {
  // Port 1 on loopback: nothing listens, so any attempt to connect would fail as `connect`.
  HttpEndpoint endpoint;
  endpoint.url = "http://127.0.0.1:1";
  endpoint.retries = 0;
  HttpClient client(endpoint);
  client.cancel();
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::cancelled);
  CHECK(r.failure().message == "cancelled (shutting down)");
}

TEST_CASE("http: cancel() aborts a request in flight promptly", "[threads]") {
  // The server answers only once the test lets it, after the request returned; the fake clock
  // never reaches the deadline: only cancel() can end the request.
  LocalServer s;
  std::mutex mutex;
  std::condition_variable cv;
  bool answer = false;
  std::atomic<int> arrived = 0;
  s.server.Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
    ++arrived;
    std::unique_lock lock(mutex);
    cv.wait_for(lock, 30s, [&] { return answer; });
    res.set_content("{}", "application/json");
  });
  s.start();
  auto c = s.connection();
  c.request_timeout = 10s;
  FakeEnv env;
  HttpClient client(c, env);
  auto r = std::async(std::launch::async, [&] { return client.get("/hang"); });
  await_count(arrived, 1);
  client.cancel();
  auto got = r.get();
  {
    std::lock_guard lock(mutex);
    CHECK_FALSE(answer);  // returned before the server answered
    answer = true;
  }
  cv.notify_all();
  CHECK_FALSE(got.ok());
}

TEST_CASE("http streaming: a gzip body split at every byte boundary arrives whole", "[threads]") {
  // Kubecost's nginx compresses; the body arrives in TCP pieces cut anywhere, also inside the
  // gzip header and trailer. Each request here cuts the compressed bytes at one offset.
  const std::string json =
      R"({"code":200,"data":[{"a\"b":{"properties":{"namespace":"n"},"totalCost":1.5}}]})";
  const std::string gz =
      kci::test::gzip_compress(json);  // outlives the server threads that read it
  std::atomic<std::size_t> cut = 1;
  LocalServer s;
  s.server.Get("/gz", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    const std::size_t at = cut.load();
    // A sized provider (httplib would gzip a chunked one again): two writes, split at `at`.
    res.set_content_provider(gz.size(), "application/json",
                             [&gz, at](std::size_t off, std::size_t, httplib::DataSink& sink) {
                               const std::size_t end = off < at ? at : gz.size();
                               return sink.write(gz.data() + off, end - off);
                             });
  });
  s.start();
  HttpClient client(s.connection());
  for (std::size_t at = 1; at < gz.size(); ++at) {
    INFO("compressed bytes cut at " << at << " of " << gz.size());
    cut = at;
    kci::test::CollectingSink sink;
    REQUIRE(client.get("/gz", sink).ok());
    CHECK(sink.body == json);
    CHECK(sink.attempts == 1);
  }
}

TEST_CASE("http streaming: a gzip body that trickles in 4 KiB chunks is inflated in large pieces",
          "[threads]") {
  // A peer that compresses as it sends (Kubecost's nginx gzips into 4 KiB buffers) delivers a few
  // KiB per socket read. The client gathers 128 KiB of compressed bytes before each inflate call,
  // and the inflater hands on up to 1 MiB per call (util/deflate_stream.hpp: each call costs
  // ISA-L ~64 KiB of copying). So the sink sees at most one piece per 128 KiB gathered (and the
  // rest) plus one per MiB of text: not one per read, nor one per 64 KiB of text.
  std::string text;
  for (int i = 0; text.size() < 4u << 20; ++i)
    text += R"({"pod-)" + std::to_string(i * 7919 % 100003) + R"(":{"totalCost":)" +
            std::to_string(i % 977) + "." + std::to_string(i % 89) + "},";
  const std::string gz = kci::test::gzip_compress(text);
  kci::test::RawPeer peer([&gz](kci::test::RawConnection& c) {
    if (!c.send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"))
      return;
    constexpr std::size_t k_chunk = 4096;
    for (std::size_t at = 0; at < gz.size(); at += k_chunk) {
      const std::size_t n = std::min(k_chunk, gz.size() - at);
      char size_line[32];
      std::snprintf(size_line, sizeof size_line, "%zx\r\n", n);
      if (!c.send(size_line + gz.substr(at, n) + "\r\n")) return;
      std::this_thread::sleep_for(200us);  // the next buffer is being compressed
    }
    c.send("0\r\n\r\n");
  });
  HttpEndpoint endpoint;
  endpoint.url = peer.url();
  endpoint.retries = 0;
  HttpClient client(endpoint);
  kci::test::CollectingSink sink;
  REQUIRE(client.get("/model/allocation", sink).ok());
  CHECK(sink.body == text);
  INFO(sink.chunks << " pieces for " << gz.size() << " compressed bytes, " << text.size()
                   << " of text");
  CHECK(static_cast<std::size_t>(sink.chunks) <=
        gz.size() / (128 * 1024) + 1 + text.size() / (1 << 20) + 1);
}

TEST_CASE("http streaming: the cap counts decompressed bytes; a refusing sink stops the read",
          "[threads]") {
  // Whitespace compresses ~1000:1: a small body that inflates past the cap, in more than one
  // inflated piece (up to 1 MiB each), so a refusing sink is seen before the body's end.
  const std::string json(3 << 20, ' ');
  const std::string gz = kci::test::gzip_compress(json);
  LocalServer s;
  s.server.Get("/bomb", [&](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content_provider(gz.size(), "application/json",
                             [&](std::size_t off, std::size_t len, httplib::DataSink& sink) {
                               return sink.write(gz.data() + off, len);
                             });
  });
  s.start();
  auto c = s.connection();
  c.max_response_bytes = 64 * 1024;
  HttpClient client(c);
  kci::test::CollectingSink sink;
  auto bomb = client.get("/bomb", sink);
  REQUIRE_FALSE(bomb.ok());
  CHECK(gz.size() < c.max_response_bytes);
  CHECK(bomb.failure().reason == FailureReason::too_large);
  CHECK(sink.body.size() <= c.max_response_bytes);

  c.max_response_bytes = 8 << 20;
  HttpClient roomy(c);
  kci::test::CollectingSink refusing;
  refusing.refuse_after = 1000;
  auto refused = roomy.get("/bomb", refusing);
  REQUIRE_FALSE(refused.ok());
  CHECK(is_sink_refused(refused.failure()));
  CHECK(refusing.body.size() < json.size());
}

TEST_CASE("http streaming: a retry starts the sink over; error bodies never reach it",
          "[threads]") {
  std::atomic<int> calls = 0;
  LocalServer s;
  s.server.Get("/flaky", [&](const httplib::Request&, httplib::Response& res) {
    if (++calls == 1) {
      res.status = 503;
      res.set_content("busy", "text/plain");
      return;
    }
    res.set_content(R"({"data":[]})", "application/json");
  });
  s.server.Get("/missing", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("no such path", "text/plain");
  });
  s.start();
  auto c = s.connection();
  c.retries = 1;
  c.request_timeout = 60s;
  FakeEnv env;
  HttpClient client(c, env);
  kci::test::CollectingSink sink;
  REQUIRE(with_backoff_skipped(env, [&] { return client.get("/flaky", sink); }).ok());
  CHECK(sink.attempts == 2);
  CHECK(sink.body == R"({"data":[]})");
  kci::test::CollectingSink untouched;
  auto missing = client.get("/missing", untouched);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().http_status == 404);
  CHECK(missing.failure().message == "HTTP 404: no such path");
  CHECK(untouched.body.empty());
}

TEST_CASE("http streaming: a slow-drip body hits the whole-request deadline", "[threads]") {
  LocalServer s;
  std::atomic<int> drips = 0;
  s.server.Get("/drip", [&](const httplib::Request&, httplib::Response& res) {
    // text/event-stream: cpp-httplib's server gzips JSON for a client that accepts gzip, and
    // its compressor holds small pieces back, so nothing would arrive before the deadline.
    res.set_chunked_content_provider("text/event-stream",
                                     [&](std::size_t, httplib::DataSink& sink) {
                                       std::this_thread::sleep_for(10ms);
                                       ++drips;
                                       return sink.write(" ", 1);  // forever, one byte at a time
                                     });
  });
  s.start();
  auto c = s.connection();
  c.request_timeout = 700ms;
  FakeEnv env;
  HttpClient client(c, env);
  kci::test::CollectingSink sink;
  auto pending = std::async(std::launch::async, [&] { return client.get("/drip", sink); });
  await_count(drips, 3);
  env.advance(700ms);  // the whole-request deadline passes
  auto r = pending.get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::timeout);
  CHECK(sink.chunks > 0);  // it was streaming when the deadline cut it
}

TEST_CASE("http: an idle timeout is a wait between reads, not a deadline (issue 13 item 6)",
          "[threads]") {
  // 10 pieces 300 ms apart: 3 s in all, three times the 1 s idle timeout, no gap near it.
  LocalServer s;
  kci::test::drip_json(s, "/drip", 10, 300ms);
  auto c = s.connection();
  c.idle_timeout = 1s;
  c.request_timeout = 60s;  // the hard cap, far off
  HttpClient client(c);
  auto r = client.get("/drip");
  if (!r.ok()) FAIL(r.failure().message);
  CHECK(r.value().body.starts_with(R"({"code":200,"data":[)"));
  CHECK(r.value().body.ends_with("]}"));
}

TEST_CASE("http: a gap longer than the idle timeout fails, naming the setting", "[threads]") {
  LocalServer s;
  kci::test::drip_json(s, "/drip", 3, 1500ms);
  auto c = s.connection();
  c.idle_timeout = 500ms;
  c.idle_timeout_name = "KUBECOST_ALLOCATION_API_READ_TIMEOUT";
  c.request_timeout = 60s;
  HttpClient client(c);
  auto r = client.get("/drip");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::timeout);
  CHECK(r.failure().message.starts_with(
      "Kubecost sent nothing for 500ms (KUBECOST_ALLOCATION_API_READ_TIMEOUT, the longest wait "
      "between two reads)"));
}

TEST_CASE("http: with an idle timeout, the whole-request cap still ends an endless drip",
          "[threads]") {
  LocalServer s;
  kci::test::drip_json(s, "/drip", 1'000'000, 20ms);
  auto c = s.connection();
  c.idle_timeout = 1s;  // the socket's, in real time: never reached by a 20 ms drip
  c.request_timeout = 1500ms;
  c.request_timeout_name = "the cap";
  FakeEnv env;
  HttpClient client(c, env);
  auto pending = std::async(std::launch::async, [&] { return client.get("/drip"); });
  // Time passes only as the test says: 1.4 s in, still going; at 1.5 s, cut.
  std::this_thread::sleep_for(100ms);
  env.advance(1400ms);
  CHECK(pending.wait_for(50ms) == std::future_status::timeout);
  env.advance(100ms);
  auto r = pending.get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::timeout);
  CHECK(r.failure().message == "no complete response within the cap=1500ms");
}

TEST_CASE("http: send() writes PUT/POST with a JSON body once; a 409 keeps its status",
          "[threads]") {
  test::LocalServer srv;
  std::string seen_body, seen_type, seen_auth;
  int puts = 0;
  srv.server.Put("/apis/x", [&](const httplib::Request& req, httplib::Response& res) {
    ++puts;
    seen_body = req.body;
    seen_type = req.get_header_value("Content-Type");
    seen_auth = req.get_header_value("Authorization");
    res.status = puts == 1 ? 200 : 409;
    res.set_content(puts == 1 ? R"({"ok":1})" : R"({"reason":"Conflict"})", "application/json");
  });
  srv.server.Post("/apis/x", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 201;
    res.set_content(req.body, "application/json");
  });
  srv.start();
  auto endpoint = srv.connection();
  endpoint.bearer_token = "inline-token";
  endpoint.retries = 3;  // send() never repeats a write, whatever the retry setting
  HttpClient client(endpoint);
  auto ok = client.send("PUT", "/apis/x", R"({"a":1})", "application/json");
  REQUIRE(ok.ok());
  CHECK(ok.value().body == R"({"ok":1})");
  CHECK(seen_body == R"({"a":1})");
  CHECK(seen_type == "application/json");
  CHECK(seen_auth == "Bearer inline-token");
  auto conflict = client.send("PUT", "/apis/x", "{}", "application/json");
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.failure().http_status == 409);
  CHECK(conflict.failure().message.find("Conflict") != std::string::npos);
  CHECK(puts == 2);
  auto created = client.send("POST", "/apis/x", R"({"b":2})", "application/json");
  REQUIRE(created.ok());
  CHECK(created.value().status == 201);
  CHECK(created.value().body == R"({"b":2})");
}

TEST_CASE("body sink: a refusal is known by its flag, never by its text") {
  const Failure refused = sink_refused();
  CHECK(is_sink_refused(refused));
  // Kubecost's own parse failure with the very same words is not a refusal by our sink.
  const Failure lookalike{FailureReason::parse, refused.message};
  CHECK_FALSE(is_sink_refused(lookalike));
}

TEST_CASE("http: a bearer token file is a bounded read; a device is refused, not read") {
  HttpEndpoint endpoint;
  endpoint.url = "http://127.0.0.1:1";  // never reached: the token is read first
  endpoint.retries = 0;
  endpoint.bearer_token_file = "/dev/zero";  // used to grow the process by gigabytes
  HttpClient client(endpoint);
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message == "bearer token file: \"/dev/zero\" is not a regular file");
}

TEST_CASE("http: an error page that reflects the request's headers quotes none of its secrets",
          "[threads]") {
  // An ingress or auth proxy whose 401 page echoes every request header (issue 21 item 5).
  LocalServer s;
  s.server.Get("/x", [](const httplib::Request& req, httplib::Response& res) {
    std::string page = "<h1>401</h1>";
    for (const auto& [name, value] : req.headers) page += name + ": " + value + "<br>";
    res.status = 401;
    res.set_content(page, "text/html");
  });
  s.start();
  char dir[] = "/tmp/kci-reflect-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string headers = std::string(dir) + "/headers";
  const std::string password = std::string(dir) + "/password";
  write_file(headers, "Cookie: session=cookie-secret-123\nX-Api-Key: key-secret-456\n");
  write_file(password, "password-secret-789\n");
  auto c = s.connection();
  c.headers_file = headers;
  c.basic_auth_username = "Aladdin";
  c.basic_auth_password_file = password;
  HttpClient client(c);
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  const std::string& message = r.failure().message;
  INFO(message);
  CHECK(message.starts_with("HTTP 401: <h1>401</h1>"));
  for (const char* secret : {"cookie-secret-123", "key-secret-456", "password-secret-789",
                             "QWxhZGRpbjpwYXNzd29yZC1zZWNyZXQtNzg5"})
    CHECK(message.find(secret) == std::string::npos);
  CHECK(message.find("<redacted>") != std::string::npos);

  // A bearer token from its file, and a password too short to tell from ordinary text.
  char token_path[] = "/tmp/kci-reflect-token-XXXXXX";
  const int fd = mkstemp(token_path);
  REQUIRE(write(fd, "eyJhbGciOiJSUzI1NiJ9.token-secret\n", 34) == 34);
  close(fd);
  auto with_token = s.connection();
  with_token.bearer_token_file = token_path;
  with_token.headers_file = headers;
  auto t = HttpClient(with_token).get("/x");
  REQUIRE_FALSE(t.ok());
  CHECK(t.failure().message.find("token-secret") == std::string::npos);
  write_file(password, "abc\n");
  auto short_password = client.get("/x");
  REQUIRE_FALSE(short_password.ok());
  CHECK(short_password.failure().message == "HTTP 401: <withheld>");
  std::remove(token_path);
  std::remove(headers.c_str());
  std::remove(password.c_str());
  rmdir(dir);
}

TEST_CASE("http: redaction takes reflected parts of header values, redirects and encodings too",
          "[threads]") {
  LocalServer s;
  s.server.Get("/cookie", [](const httplib::Request& req, httplib::Response& res) {
    // Reflects only the session cookie's value, and the org id.
    const std::string cookie = req.get_header_value("Cookie");
    res.status = 403;
    res.set_content("session " + cookie.substr(cookie.find("session=") + 8) + " org " +
                        req.get_header_value("X-Scope-OrgID"),
                    "text/plain");
  });
  s.server.Get("/redirect", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 302;
    res.set_header("Location", "https://sso.example/login?" + std::string(150, 'p') +
                                   "&reflected=" + req.get_header_value("Cookie"));
  });
  s.server.Get("/encoding", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Content-Encoding", req.get_header_value("Cookie"));
    res.set_content("{}", "application/json");
  });
  s.start();
  char dir[] = "/tmp/kci-reflect2-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string headers = std::string(dir) + "/headers";
  write_file(headers, "Cookie: theme=dark; session=session-secret-value-1234\nX-Scope-OrgID: 1\n");
  auto c = s.connection();
  c.headers_file = headers;
  HttpClient client(c);
  for (const char* path : {"/cookie", "/redirect", "/encoding"}) {
    INFO(path);
    auto r = client.get(path);
    REQUIRE_FALSE(r.ok());
    INFO(r.failure().message);
    CHECK(r.failure().message.find("session-secret") == std::string::npos);
    CHECK(r.failure().message.find("<withheld>") == std::string::npos);  // "1" is no secret
  }
  CHECK(client.get("/cookie").failure().message == "HTTP 403: session <redacted> org 1");
  std::remove(headers.c_str());
  rmdir(dir);
}

TEST_CASE("http: a name that does not resolve fails as connect, naming the host") {
  HttpEndpoint c;
  c.url = "http://kci-test.invalid:9090";  // RFC 6761: .invalid never resolves
  c.retries = 0;
  c.connect_timeout = std::chrono::seconds(10);
  c.request_timeout = std::chrono::seconds(20);
  auto r = HttpClient(c).get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::connect);
  CHECK(r.failure().message.starts_with("could not resolve kci-test.invalid: "));
}

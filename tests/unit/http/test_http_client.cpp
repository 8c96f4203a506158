// The Kubecost client against an in-process HTTP server on 127.0.0.1.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "exporter/http/http_client.hpp"
#include "exporter/util/gzip.hpp"
#include "local_http_server.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::LocalServer;

TEST_CASE("http: 2xx body with padding; bearer token read from its file") {
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

TEST_CASE("http: retries 5xx with backoff, then succeeds") {
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
  HttpClient client(c);
  auto r = client.get("/x");
  CHECK(r.ok());
  CHECK(calls == 3);
}

TEST_CASE("http: 4xx is not retried and reports status and body") {
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

TEST_CASE("http: connection refused is reason connect") {
  HttpEndpoint c;
  c.url = "http://127.0.0.1:1";
  c.retries = 0;
  HttpClient client(c);
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::connect);
}

TEST_CASE("http: a slow-drip body hits the whole-request deadline") {
  LocalServer s;
  s.server.Get("/x", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [](std::size_t, httplib::DataSink& sink) {
      std::this_thread::sleep_for(100ms);
      return sink.write(" ", 1);  // forever, one byte per 100 ms
    });
  });
  s.start();
  auto c = s.connection();
  c.request_timeout = 700ms;
  HttpClient client(c);
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.get("/x");
  auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::timeout);
  CHECK(took < 5s);  // bounded: not a hang (generous: this is not a timing assertion)
}

TEST_CASE("http: a response over the cap is refused, by header and by streamed size") {
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

TEST_CASE("http: redirects are reported, never followed (no loops)") {
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

TEST_CASE("http: gzip is decoded, a wrong Content-Encoding is a clear failure") {
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
    raw(res, gzip_compress(json));
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

TEST_CASE("http: cancel() aborts a request in flight promptly") {
  LocalServer s;
  s.server.Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(5s);
    res.set_content("{}", "application/json");
  });
  s.start();
  auto c = s.connection();
  c.request_timeout = 10s;
  HttpClient client(c);
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    client.cancel();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.get("/hang");
  auto took = std::chrono::steady_clock::now() - t0;
  canceller.join();
  CHECK_FALSE(r.ok());
  CHECK(took < 4s);  // returned long before the server answers at 5 s (not a timing test)
}

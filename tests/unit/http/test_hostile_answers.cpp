// The Kubecost/Kubernetes API/Pushgateway client against a hostile peer on 127.0.0.1 that
// writes raw bytes: status lines, header sections and chunk-size lines that never end, too many
// fields, bytes that are not HTTP, answers cut short. Each is one clear failure, within the
// bounds of memory and of what is read; none is a crash (a 30 000-byte reason phrase used to
// overflow the stack in cpp-httplib 0.11's status-line regex).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "../support/process_memory.hpp"
#include "exporter/http/http_client.hpp"
#include "raw_peer.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::RawConnection;
using kci::test::RawPeer;

namespace {

HttpEndpoint endpoint_for(const RawPeer& peer) {
  HttpEndpoint c;
  c.url = peer.url();
  c.retries = 0;
  c.connect_timeout = 2s;
  c.request_timeout = 20s;
  return c;
}

}  // namespace

TEST_CASE("hostile answers: a 30 000-byte reason phrase is read, not a crash", "[threads]") {
  RawPeer peer([](RawConnection& c) {
    c.send("HTTP/1.1 200 " + std::string(30'000, 'x') +
           "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  });
  HttpClient client(endpoint_for(peer));
  auto r = client.get("/model/allocation");
  if (!r.ok()) FAIL(r.failure().message);
  CHECK(r.value().status == 200);
  CHECK(r.value().body == "{}");
}

TEST_CASE("hostile answers: what never ends is cut at its bound, in bounded memory", "[threads]") {
  struct Attack {
    const char* name;
    std::string start;
    std::string forever;
    FailureReason reason;
    const char* message_start;
  };
  const std::string head_bound = "the answer's status line and headers exceed 64 KiB";
  const Attack attacks[] = {
      {"status line", "HTTP/1.1 200 ", std::string(4096, 'x'), FailureReason::too_large,
       head_bound.c_str()},
      {"header lines", "HTTP/1.1 200 OK\r\n", "X-Pad: " + std::string(4000, 'a') + "\r\n",
       FailureReason::too_large, head_bound.c_str()},
      {"one header line", "HTTP/1.1 200 OK\r\nX-Pad: ", std::string(4096, 'a'),
       FailureReason::too_large, head_bound.c_str()},
      {"chunk-size line",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=", std::string(4096, 'a'),
       FailureReason::parse, "a chunk-size line or trailer section longer than 80 KiB"},
      {"trailer lines", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n",
       "X-Trailer: " + std::string(100, 't') + "\r\n", FailureReason::parse,
       "a chunk-size line or trailer section longer than 80 KiB"},
  };
  for (const auto& attack : attacks) {
    INFO(attack.name);
    RawPeer peer([&](RawConnection& c) {
      if (c.send(attack.start)) kci::test::send_forever(c, attack.forever, 4ULL << 30);
    });
    HttpClient client(endpoint_for(peer));
    const long before = kci::test::peak_rss_kib();
    auto r = client.get("/model/allocation");
    const long growth_kib = kci::test::peak_rss_kib() - before;
    REQUIRE_FALSE(r.ok());
    INFO(r.failure().message);
    CHECK(r.failure().reason == attack.reason);
    CHECK(r.failure().message.starts_with(attack.message_start));
    CHECK(r.failure().message.find(std::string(64, attack.forever.back())) == std::string::npos);
    CHECK(growth_kib < 16 * 1024);
    // Read no further than the bound (the rest is socket buffers), far from the 4 GiB offered.
    CHECK(peer.bytes_sent() < 32u << 20);
  }
}

TEST_CASE("hostile answers: more than 128 header fields are refused", "[threads]") {
  RawPeer peer([](RawConnection& c) {
    std::string answer = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; i < 200; ++i) answer += "A: b\r\n";
    c.send(answer + "Content-Length: 2\r\n\r\n{}");
  });
  HttpClient client(endpoint_for(peer));
  auto r = client.get("/x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::too_large);
  CHECK(r.failure().message.starts_with("the answer has more than 128 header fields"));
}

TEST_CASE("hostile answers: bytes that are not HTTP, and answers cut short", "[threads]") {
  SECTION("not HTTP") {
    RawPeer peer([](RawConnection& c) { c.send("SSH-2.0-OpenSSH_9.2\r\nsecret-banner\r\n\r\n"); });
    HttpClient client(endpoint_for(peer));
    auto r = client.get("/x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::parse);
    CHECK(r.failure().message.starts_with("not an HTTP/1.1 answer ("));
    CHECK(r.failure().message.find("secret-banner") == std::string::npos);
  }
  SECTION("closed after the head") {
    RawPeer peer(
        [](RawConnection& c) { c.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\""); });
    HttpClient client(endpoint_for(peer));
    auto r = client.get("/x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::connect);
    CHECK(r.failure().message.starts_with("the connection closed before the answer was complete"));
  }
  SECTION("closed before a byte") {
    RawPeer peer([](RawConnection&) {});
    HttpClient client(endpoint_for(peer));
    auto r = client.get("/x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::connect);
    CHECK(r.failure().message.starts_with("the connection closed before an answer"));
  }
  SECTION("a bad chunk size") {
    RawPeer peer([](RawConnection& c) {
      c.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
    });
    HttpClient client(endpoint_for(peer));
    auto r = client.get("/x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::parse);
  }
}

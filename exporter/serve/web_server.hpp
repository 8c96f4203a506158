#pragma once
// The HTTP(S) server for /metrics, the probes and the landing page: event-driven (Boost.Asio,
// one thread, non-blocking sockets; HTTP parsing by Boost.Beast), so no client can hold a
// worker. Guarantees, whatever clients do:
//   - a request must arrive complete (TLS handshake and headers) within first_request_timeout
//     of the connection, or keep_alive_timeout of the previous response: slow drips are cut;
//   - a response must be written within write_timeout: slow readers are cut;
//   - headers are capped in bytes (431) and count (431); a request body is refused (400);
//   - at most max_connections are open; a new connection beyond that evicts the oldest one
//     waiting for a request (then the oldest one at all), so /healthz is always reachable;
//   - Range is ignored (the whole 200 body; see http_router.hpp), nothing is read past a buffer;
//   - bcrypt checks run on their own threads, never on the event loop, through an AuthQueue
//     (auth_queue.hpp): bounded in all and per client host, hosts without refused passwords
//     first, identical credentials checked once, known answers cached; a check that finds the
//     queue full is answered 503 with Retry-After at once;
//   - stop() returns from serve() at once, whatever the clients are doing, and drops the queued
//     bcrypt checks (the destructor waits at most for the one check in progress).
// The listening port is bound exclusively (SO_REUSEADDR, never SO_REUSEPORT): a second instance
// on the same port fails to bind.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "exporter/config/web_config.hpp"
#include "exporter/serve/landing_page_options.hpp"
#include "exporter/serve/metrics_publisher.hpp"
#include "exporter/serve/self_metrics.hpp"

namespace kci {

struct WebServerLimits {
  std::size_t max_connections = 512;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_fields = 100;
  std::chrono::milliseconds first_request_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{30'000};
  std::chrono::milliseconds write_timeout{60'000};
  unsigned max_requests_per_connection = 1000;
  std::size_t max_pending_auth = 64;            // bcrypt checks queued; more are answered 503
  std::size_t max_pending_auth_per_source = 4;  // ... from one client host
  std::size_t auth_workers = 1;                 // threads running bcrypt
  std::size_t auth_reserved_workers = 1;        // ... only for hosts without a refused password
};

class WebServer {
 public:
  // Listens on `listen_address` (web.listen-address: "host:port", "[v6]:port" or ":port"; port 0
  // picks a free one) and answers `/` with the landing page of `landing_page`. Throws
  // ConfigError when the TLS material cannot be loaded.
  WebServer(std::string listen_address, LandingPageOptions landing_page,
            const MetricsPublisher& publisher, const WebConfig& web = {},
            SelfMetrics* metrics = nullptr, WebServerLimits limits = {});
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Binds listen_address; false (with bind_error() naming the address and the reason) when it
  // cannot, e.g. when the port is in use.
  bool bind();
  const std::string& bind_error() const;
  // Serves until stop(); call after a successful bind().
  void serve();
  // Thread-safe. Closes the listener and every connection; serve() returns.
  void stop();
  // Thread-safe. New TLS material, users and headers for the connections accepted from now
  // on. Throws ConfigError (and keeps the old ones) when the TLS material cannot be loaded.
  void reload(const WebConfig& web);
  int port() const;

  struct Impl;  // the Asio state (web_server.cpp); opaque so Boost stays out of this header

 private:
  std::unique_ptr<Impl> m_impl;
};

}  // namespace kci

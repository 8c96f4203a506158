#pragma once
// The HTTP endpoints: /metrics (pre-rendered bytes, gzip when asked), /healthz, /readyz,
// a landing page at / and 404 for anything else.
#include <memory>
#include <string>

#include "exporter/config/config.hpp"
#include "exporter/config/web_config.hpp"
#include "exporter/serve/basic_auth.hpp"
#include "exporter/serve/metrics_publisher.hpp"
#include "exporter/serve/self_metrics.hpp"

namespace httplib {
class Server;
}

namespace kci {

class WebServer {
 public:
  // Throws ConfigError when the TLS material cannot be loaded.
  // `metrics`, when given, counts every request by handler and status code.
  WebServer(const Config& config, const MetricsPublisher& publisher, const WebConfig& web = {},
            SelfMetrics* metrics = nullptr);
  ~WebServer();
  // Binds listen_address; returns false (and logs) when it cannot.
  bool bind();
  // Serves until stop(); call after a successful bind().
  void serve();
  void stop();
  int port() const { return m_port; }

 private:
  const Config& m_config;
  const MetricsPublisher& m_publisher;
  std::unique_ptr<httplib::Server> m_server;
  BasicAuth m_auth;
  SelfMetrics* m_metrics;
  int m_port = 0;
};

// The landing page for `/`.
std::string landing_page(const Config& config, const Published& state);

}  // namespace kci

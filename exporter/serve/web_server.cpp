#include "exporter/serve/web_server.hpp"

#include <httplib.h>

#include <cmath>
#include <cstdio>

#include "exporter/serve/exposition.hpp"
#include "exporter/serve/tls_context.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/result.hpp"

namespace kci {
namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The route a path was served by, for the request counter (bounded: never the raw path).
std::string_view handler_name(const std::string& path) {
  for (std::string_view known : {"/metrics", "/healthz", "/readyz", "/"})
    if (path == known) return known;
  return "other";
}

bool accepts_gzip(const httplib::Request& req) {
  const auto& ae = req.get_header_value("Accept-Encoding");
  return ae.find("gzip") != std::string::npos;
}

// Serves bytes kept alive by `owner` without copying them into the response.
void serve_bytes(httplib::Response& res, std::shared_ptr<const Published> owner,
                 const std::string& bytes, std::string_view content_type) {
  if (bytes.empty()) {  // httplib mishandles a zero-length provider
    res.set_content("", std::string(content_type));
    return;
  }
  res.set_content_provider(
      bytes.size(), std::string(content_type),
      [owner, &bytes](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        return sink.write(bytes.data() + offset, length);
      });
}

std::unique_ptr<httplib::Server> make_server(const WebConfig& web) {
  if (!web.tls) return std::make_unique<httplib::Server>();
  std::string error;
  auto server = std::make_unique<httplib::SSLServer>(
      [&](SSL_CTX& ctx) { return configure_tls(ctx, *web.tls, error); });
  if (!server->is_valid())
    throw ConfigError("web.config.file: " + (error.empty() ? "TLS setup failed" : error));
  return server;
}

}  // namespace

std::string landing_page(const Config& config, const Published& state) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Kubecost allocation "
      "exporter</title></head><body>\n<h1>Kubecost allocation exporter</h1>\n<p>Version " +
      std::string(EXPORTER_VERSION) + " &middot; cluster <b>" + html_escape(config.cluster_name) +
      "</b> &middot; Kubecost " + html_escape(redact_url(config.kubecost.url)) +
      (config.demo ? " (demo data)" : "") +
      "</p>\n<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">/healthz</a> "
      "&middot; <a href=\"/readyz\">/readyz</a></p>\n<h2>Last poll</h2>\n<p>";
  if (state.last_poll_ok) {
    html += "OK";
  } else if (state.last_success_timestamp == 0 && state.last_error.empty()) {
    html += "no poll yet";
  } else {
    html += "FAILED: " + html_escape(state.last_error);
  }
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "</p>\n<p>Last success: %.0f (Unix time); cost series: %zu%s</p>\n",
                state.last_success_timestamp, state.cost_series, state.ready ? "" : " (not ready)");
  html += buf;
  html += "<h2>Top namespaces by total cost</h2>\n<table>\n<tr><th>namespace</th><th>" +
          html_escape(config.currency) +
          (config.metric_mode == MetricMode::rate ? " per hour" : " in window") + "</th></tr>\n";
  for (const auto& [ns, cost] : state.top_namespaces) {
    std::snprintf(buf, sizeof buf, "%.6f", cost);
    html += "<tr><td>" + html_escape(ns) + "</td><td>" + buf + "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

WebServer::WebServer(const Config& config, const MetricsPublisher& publisher, const WebConfig& web,
                     SelfMetrics* metrics)
    : m_config(config),
      m_publisher(publisher),
      m_server(make_server(web)),
      m_auth(web.basic_auth_users),
      m_metrics(metrics) {
  auto& svr = *m_server;
  if (m_metrics) {
    svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      m_metrics->record_http_request(handler_name(req.path), res.status);
    });
  }
  // Probes stay open (kubelet has no credentials); everything else needs them when configured.
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!m_auth.enabled() || req.path == "/healthz" || req.path == "/readyz")
      return httplib::Server::HandlerResponse::Unhandled;
    if (m_auth.check(req.get_header_value("Authorization")))
      return httplib::Server::HandlerResponse::Unhandled;
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic");
    res.set_content("Unauthorized\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  if (!web.headers.empty()) {
    svr.set_post_routing_handler(
        [headers = web.headers](const httplib::Request&, httplib::Response& res) {
          for (const auto& [k, v] : headers) res.set_header(k, v);
        });
  }
  svr.new_task_queue = [] { return new httplib::ThreadPool(4); };
  svr.set_read_timeout(10, 0);
  svr.set_write_timeout(30, 0);
  svr.set_keep_alive_timeout(30);
  svr.set_payload_max_length(64 * 1024);

  svr.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    auto state = m_publisher.current();
    res.set_header("Cache-Control", "no-store");
    res.set_header("Vary", "Accept-Encoding");
    if (accepts_gzip(req)) {
      res.set_header("Content-Encoding", "gzip");
      serve_bytes(res, state, state->gzip, k_exposition_content_type);
      return;
    }
    if (state->size() == 0) {  // httplib mishandles a zero-length provider
      res.set_content("", std::string(k_exposition_content_type));
      return;
    }
    // The two pieces back to back, straight from the published buffers.
    const std::string_view costs =
        state->costs ? std::string_view(*state->costs) : std::string_view();
    const std::string_view health = state->health;
    res.set_content_provider(
        state->size(), std::string(k_exposition_content_type),
        [state, costs, health](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          while (length > 0) {
            std::string_view piece =
                offset < costs.size() ? costs.substr(offset) : health.substr(offset - costs.size());
            std::size_t n = std::min(length, piece.size());
            if (!sink.write(piece.data(), n)) return false;
            offset += n;
            length -= n;
          }
          return true;
        });
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
  svr.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    auto state = m_publisher.current();
    if (state->ready) {
      res.set_content("ready\n", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content(state->last_success_timestamp == 0
                          ? "not ready: no successful Kubecost poll yet\n"
                          : "not ready: cost data is stale (" + state->last_error + ")\n",
                      "text/plain; charset=utf-8");
    }
  });
  svr.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(landing_page(m_config, *m_publisher.current()), "text/html; charset=utf-8");
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("404 page not found\n", "text/plain; charset=utf-8");
  });
}

WebServer::~WebServer() = default;

bool WebServer::bind() {
  const auto& addr = m_config.listen_address;
  auto colon = addr.rfind(':');
  std::string host = addr.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = std::stoi(addr.substr(colon + 1));
  if (port == 0) {
    m_port = m_server->bind_to_any_port(host);
  } else {
    m_port = m_server->bind_to_port(host, port) ? port : -1;
  }
  if (m_port <= 0) {
    log::error("cannot listen", {{"address", addr}});
    return false;
  }
  log::info("listening", {{"address", host + ":" + std::to_string(m_port)}});
  return true;
}

void WebServer::serve() { m_server->listen_after_bind(); }

void WebServer::stop() { m_server->stop(); }

}  // namespace kci

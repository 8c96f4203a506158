#include "exporter/serve/http_router.hpp"

#include <cstdio>

#include "exporter/serve/exposition.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::string_view k_text = "text/plain; charset=utf-8";

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
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

// True when the Accept-Encoding list offers gzip with a non-zero q (RFC 9110 §12.5.3).
bool accepts_gzip(std::string_view header) {
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(pos, end - pos);
    const auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t'))
      coding.remove_prefix(1);
    while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t'))
      coding.remove_suffix(1);
    if (coding.size() == 4 && (coding[0] | 0x20) == 'g' && (coding[1] | 0x20) == 'z' &&
        (coding[2] | 0x20) == 'i' && (coding[3] | 0x20) == 'p') {
      if (semi == std::string_view::npos) return true;
      std::string_view q = item.substr(semi + 1);
      const auto eq = q.find('=');
      if (eq == std::string_view::npos) return true;
      q = q.substr(eq + 1);
      while (!q.empty() && q.front() == ' ') q.remove_prefix(1);
      // q=0, q=0.0, q=0.00, q=0.000 mean "not acceptable".
      return !(q.starts_with("0") && q.find_first_not_of("0.", 0) > 5);
    }
    pos = end + 1;
  }
  return false;
}

HttpReply text_reply(int status, std::string body) {
  HttpReply r;
  r.status = status;
  r.content_type = std::string(k_text);
  r.owned_body = std::move(body);
  return r;
}

}  // namespace

std::vector<std::string_view> HttpReply::body() const {
  if (owner) return pieces;
  return {std::string_view(owned_body)};
}

std::size_t HttpReply::body_size() const {
  std::size_t n = 0;
  for (auto p : body()) n += p.size();
  return n;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

bool needs_auth(std::string_view path) { return path != "/healthz" && path != "/readyz"; }

HttpReply route(const HttpRequestView& request, std::shared_ptr<const Published> state,
                const LandingPageOptions& landing, const LiveMetrics& live_metrics) {
  const std::string_view path = path_of(request.target);
  HttpReply r;
  if (path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/")
    r.handler = path == "/metrics"   ? "/metrics"
                : path == "/healthz" ? "/healthz"
                : path == "/readyz"  ? "/readyz"
                                     : "/";
  const bool head = request.method == "HEAD";
  if (!head && request.method != "GET") {
    const auto handler = r.handler;
    r = text_reply(405, "method not allowed\n");
    r.handler = handler;
    r.headers.emplace_back("Allow", "GET, HEAD");
  } else if (needs_auth(path) && !request.authorized) {
    const auto handler = r.handler;
    r = text_reply(401, "Unauthorized\n");
    r.handler = handler;
    r.headers.emplace_back("WWW-Authenticate", "Basic");
  } else if (path == "/metrics") {
    r.content_type = std::string(k_exposition_content_type);
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Vary", "Accept-Encoding");
    // The cost series as published by the last poll, then the self metrics as of now.
    auto live = std::make_shared<const std::string>(live_metrics ? live_metrics() : "");
    if (accepts_gzip(request.accept_encoding)) {
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.pieces.emplace_back(gzip_header());
      if (state->costs) r.pieces.emplace_back(state->costs->deflated().blocks);
      // One gzip member: the self metrics' deflate blocks and the trailer over both texts.
      r.rendered.push_back(std::make_shared<const std::string>(
          gzip_tail(state->costs ? state->costs->deflated() : DeflatedText{}, *live)));
      r.pieces.emplace_back(*r.rendered.back());
    } else {
      if (state->costs) r.pieces.emplace_back(state->costs->text());
      r.rendered.push_back(std::move(live));
      r.pieces.emplace_back(*r.rendered.back());
    }
    r.owner = std::move(state);
  } else if (path == "/healthz") {
    r = text_reply(200, "ok\n");
    r.handler = "/healthz";
  } else if (path == "/readyz") {
    // Ready once the listener and the configuration are up, whatever Kubecost does: a fresh
    // install is ready long before Kubecost has data (helm install --wait), and a Kubecost
    // outage must not take the exporter's endpoints away. Kubecost's state is in the self
    // metrics, the landing page and the logs; here, fixed words and the reason label only
    // (/readyz needs no credentials, and a message may quote what Kubecost answered).
    const std::string why = state->last_failure_reason.empty()
                                ? ""
                                : "; last poll failed: " + state->last_failure_reason;
    if (state->ready)
      r = text_reply(200, "ready\n");
    else if (state->election && !state->leading)
      r = text_reply(200, "ready (follower; the leader polls Kubecost)\n");
    else if (state->last_success_timestamp == 0)
      r = text_reply(200, "ready (no cost data yet" + why + ")\n");
    else
      r = text_reply(200, "ready (cost data is stale" + why + ")\n");
    r.handler = "/readyz";
  } else if (path == "/") {
    r.owned_body = landing_page(landing, *state);
    r.content_type = "text/html; charset=utf-8";
  } else {
    r = text_reply(404, "404 page not found\n");
  }
  r.head = head;
  return r;
}

std::string landing_page(const LandingPageOptions& options, const Published& state) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Kubecost allocation "
      "exporter</title></head><body>\n<h1>Kubecost allocation exporter</h1>\n<p>Version " +
      std::string(EXPORTER_VERSION) + " &middot; cluster <b>" + html_escape(options.cluster_name) +
      "</b> &middot; Kubecost " + html_escape(redact_url(options.kubecost_url)) +
      (options.demo ? " (demo data)" : "") +
      "</p>\n<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">/healthz</a> "
      "&middot; <a href=\"/readyz\">/readyz</a></p>\n";
  if (state.election) {
    html += "<h2>Leader election</h2>\n<p>This replica (" + html_escape(state.identity) +
            (state.leading ? ") <b>leads</b>: it polls Kubecost and exports the cost series."
                           : ") follows: it exports health series only.") +
            "</p>\n<p>Leader: <b>" +
            html_escape(state.leader_identity.empty() ? "(none)" : state.leader_identity) +
            "</b></p>\n";
  }
  html += "<h2>Last poll</h2>\n<p>";
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
          html_escape(options.currency) +
          (options.metric_mode == MetricMode::rate ? " per hour" : " in window") + "</th></tr>\n";
  for (const auto& [ns, cost] : state.top_namespaces) {
    std::snprintf(buf, sizeof buf, "%.6f", cost);
    html += "<tr><td>" + html_escape(ns) + "</td><td>" + buf + "</td></tr>\n";
  }
  html += "</table>\n</body></html>\n";
  return html;
}

}  // namespace kci

#pragma once
// What each endpoint answers, as a pure function of the request and the published state, so the
// request path can be fuzzed and tested without sockets. The bytes of /metrics are the
// published buffers themselves (the reply keeps them alive), never a copy.
//
//   GET|HEAD /metrics  200 text format 0.0.4 (gzip when Accept-Encoding allows it): the cost
//                      series of the last good poll, then the self metrics as of this request;
//                      401 without valid basic auth when users are configured
//   GET|HEAD /healthz  200 "ok" (never behind auth: the kubelet has no credentials)
//   GET|HEAD /readyz   200 once fresh cost data is served, or as a follower under leader
//                      election (it serves health only, by design); else 503 with the reason
//   GET|HEAD /         200 landing page (status, leader, top namespaces); auth like /metrics
//   anything else      404; other methods 405 (Allow: GET, HEAD)
// A Range header is ignored: every answer is the whole 200 body (RFC 9110 §14.2 lets a server
// ignore Range), so no offset a client sends is ever used to index a buffer.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/serve/landing_page_options.hpp"
#include "exporter/serve/metrics_publisher.hpp"

namespace kci {

struct HttpRequestView {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view target;  // origin-form path, possibly with a query
  std::string_view accept_encoding;
  bool authorized = true;  // basic auth passed, or none is configured
};

struct HttpReply {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string owned_body;                  // small bodies (probes, pages, errors)
  std::shared_ptr<const Published> owner;  // when set, the body is `pieces` (kept alive by it)
  std::vector<std::string_view> pieces;    // views into the published buffers and `rendered`
  std::vector<std::shared_ptr<const std::string>> rendered;  // made for this request (moves keep
                                                             // their addresses)
  bool head = false;                   // HEAD: headers (with Content-Length) only
  std::string_view handler = "other";  // for the request counter

  // The body as views: `pieces` when published buffers are served, else owned_body. Views
  // into owned_body are valid while this reply is neither moved nor destroyed.
  std::vector<std::string_view> body() const;
  std::size_t body_size() const;
};

// The path without its query ("/metrics?x=1" -> "/metrics").
std::string_view path_of(std::string_view target);

// True when the path needs credentials (everything except the probes).
bool needs_auth(std::string_view path);

// The self metrics as of now (SelfMetrics::render_live), called once by each authorized GET or
// HEAD of /metrics and by no other request; null: none.
using LiveMetrics = std::function<std::string()>;

HttpReply route(const HttpRequestView& request, std::shared_ptr<const Published> state,
                const LandingPageOptions& landing, const LiveMetrics& live_metrics = {});

// The landing page for `/`.
std::string landing_page(const LandingPageOptions& options, const Published& state);

}  // namespace kci

#pragma once
// The request side of the web server, shared with the HTTP fuzz target so that the fuzzer
// exercises exactly what the server runs: Beast's parser with our limits, and the checks and
// view a parsed request goes through before route().
#include <boost/beast/http.hpp>

#include <optional>
#include <string>

#include "exporter/serve/http_router.hpp"
#include "exporter/serve/web_server.hpp"

namespace kci {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
using Request = RequestParser::value_type;

// Header bytes capped (431), no body accepted (400).
inline void configure_request_parser(RequestParser& parser, const WebServerLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(0);
}

// The status to refuse a parsed request with (431: too many header fields), or none.
inline std::optional<int> refuse_status(const Request& req, const WebServerLimits& limits) {
  std::size_t fields = 0;
  for (auto it = req.begin(); it != req.end(); ++it)
    if (++fields > limits.max_header_fields) return 431;
  return std::nullopt;
}

// The strings route() looks at, copied out of the parser (which is reused for the next request).
struct RequestStrings {
  std::string method, target, accept_encoding, authorization;
  bool keep_alive = false;

  explicit RequestStrings(const Request& req)
      : method(req.method_string()),
        target(req.target()),
        accept_encoding(req[boost::beast::http::field::accept_encoding]),
        authorization(req[boost::beast::http::field::authorization]),
        keep_alive(req.keep_alive()) {}
  HttpRequestView view(bool authorized) const {
    return HttpRequestView{method, target, accept_encoding, authorized};
  }
};

}  // namespace kci

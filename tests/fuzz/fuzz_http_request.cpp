// libFuzzer target: any bytes a client sends, through the server's own request parser (Beast
// with our limits), its checks and route(). Oracles: a request is either refused or answered;
// every answer's body is exactly the published bytes or a small owned text, Content-Length is
// the body's size, no header carries CR/LF, and /metrics never serves anything but the
// published buffers (a Range header changes nothing).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/serve/http_request_parser.hpp"

namespace {

std::shared_ptr<const kci::Published> published() {
  static const auto state = [] {
    auto p = std::make_shared<kci::Published>();
    kci::DeflateWriter writer;
    writer.write("cost_series{a=\"1\"} 1\n");
    p->costs = std::make_shared<const kci::CostExposition>(std::move(writer).finish(), 1);
    p->ready = true;
    p->top_namespaces = {{"ns", 1.0}};
    return std::shared_ptr<const kci::Published>(std::move(p));
  }();
  return state;
}

bool clean(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const kci::LandingPageOptions landing;
  static const kci::WebServerLimits limits;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Several pipelined requests, as the server reads them off one connection.
  for (int request = 0; request < 8 && !bytes.empty(); ++request) {
    kci::RequestParser parser;
    kci::configure_request_parser(parser, limits);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done() && used < bytes.size()) {
      const std::size_t n =
          parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
      if (ec == boost::beast::http::error::need_more) {
        ec = {};
        break;
      }
      if (ec) return 0;  // refused: 400 or 431, the connection closes
      if (n == 0) break;
      used += n;
    }
    if (!parser.is_done()) return 0;  // incomplete: the deadline closes the connection
    bytes.remove_prefix(used);
    if (kci::refuse_status(parser.get(), limits)) return 0;
    const kci::RequestStrings strings(parser.get());
    for (bool authorized : {false, true}) {
      const kci::HttpReply reply = kci::route(strings.view(authorized), published(), landing,
                                              [] { return std::string("health 1\n"); });
      if (reply.status < 200 || reply.status > 599) __builtin_trap();
      if (!clean(reply.content_type)) __builtin_trap();
      for (const auto& [k, v] : reply.headers)
        if (!clean(k) || !clean(v)) __builtin_trap();
      std::size_t total = 0;
      for (auto piece : reply.body()) total += piece.size();
      if (total != reply.body_size()) __builtin_trap();
      if (reply.owner) {
        // The whole published exposition: the cost text then the live text, plain or gzip.
        const auto& p = *published();
        const std::size_t plain = p.costs->text_size() + 9;  // "health 1\n"
        const std::size_t gzip = kci::gzip_header().size() + p.costs->deflated().blocks.size() +
                                 kci::gzip_tail(p.costs->deflated(), "health 1\n").size();
        if (reply.body_size() != plain && reply.body_size() != gzip) __builtin_trap();
        if (reply.status != 200 || !authorized) __builtin_trap();
      }
    }
  }
  return 0;
}

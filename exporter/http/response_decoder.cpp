#include "exporter/http/response_decoder.hpp"

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cctype>
#include <cstring>
#include <limits>

namespace kci {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// The most body bytes handed to the reader at once.
constexpr std::size_t k_body_piece = 64 * 1024;
// The input buffer holds at most the head's bound plus this; a chunk-size line (extensions
// included), or the whole trailer section, must fit in it to be parsed.
constexpr std::size_t k_line_allowance = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string kib(std::size_t bytes) {
  return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + " KiB"
                           : std::to_string(bytes) + " bytes";
}

}  // namespace

struct ResponseDecoder::Parser {
  explicit Parser(std::size_t input_limit)
      : input(input_limit), piece(std::make_unique<char[]>(k_body_piece)) {}
  http::response_parser<http::buffer_body> parser;
  beast::flat_buffer input;  // received, not parsed yet: an incomplete head or line
  std::unique_ptr<char[]> piece;
};

std::string_view ResponseHead::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals(n, name)) return v;
  return {};
}

ResponseDecoder::ResponseDecoder(const ResponseLimits& limits, bool head_request,
                                 ResponseReader& reader)
    : m_limits(limits),
      m_reader(reader),
      m_parser(std::make_unique<Parser>(limits.max_head_bytes + k_line_allowance)) {
  auto& p = m_parser->parser;
  p.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits.max_head_bytes, std::numeric_limits<std::uint32_t>::max())));
  p.body_limit(limits.max_body_bytes);
  p.eager(true);
  if (head_request) p.skip(true);
}

ResponseDecoder::~ResponseDecoder() = default;

ResponseDecoder::State ResponseDecoder::feed(std::string_view bytes) {
  auto& input = m_parser->input;
  while (m_state == State::more && !bytes.empty()) {
    const std::size_t room = input.max_size() - input.size();
    if (room == 0)
      return m_parser->parser.is_header_done()
                 ? fail(ExchangeError::malformed,
                        "a chunk-size line or trailer section longer than " +
                            kib(m_limits.max_head_bytes + k_line_allowance))
                 : fail(ExchangeError::head_too_large,
                        "the answer's status line and headers exceed " +
                            kib(m_limits.max_head_bytes));
    const std::size_t n = std::min(room, bytes.size());
    std::memcpy(input.prepare(n).data(), bytes.data(), n);
    input.commit(n);
    bytes.remove_prefix(n);
    parse();
  }
  return m_state;
}

ResponseDecoder::State ResponseDecoder::feed_eof() {
  if (m_state != State::more) return m_state;
  auto& p = m_parser->parser;
  if (!p.got_some()) return fail(ExchangeError::lost, "the connection closed before an answer");
  beast::error_code ec;
  p.put_eof(ec);
  if (ec) return fail(ExchangeError::lost, "the connection closed before the answer was complete");
  if (p.is_header_done() && !m_head_delivered && !deliver_head()) return m_state;
  m_state = State::done;
  return m_state;
}

ResponseDecoder::State ResponseDecoder::parse() {
  auto& p = m_parser->parser;
  auto& input = m_parser->input;
  while (m_state == State::more) {
    auto& body = p.get().body();
    body.data = m_parser->piece.get();
    body.size = k_body_piece;
    beast::error_code ec;
    const std::size_t used = p.put(input.data(), ec);
    input.consume(used);
    if (ec == http::error::need_buffer) ec = {};
    if (p.is_header_done() && !m_head_delivered && !deliver_head()) return m_state;
    const std::size_t produced = k_body_piece - p.get().body().size;
    if (produced > 0 && !m_reader.on_body(std::string_view(m_parser->piece.get(), produced)))
      return fail(ExchangeError::stopped, "");
    if (ec == http::error::need_more) return m_state;
    if (ec == http::error::header_limit)
      return fail(ExchangeError::head_too_large,
                  "the answer's status line and headers exceed " + kib(m_limits.max_head_bytes));
    if (ec == http::error::body_limit)
      return fail(
          ExchangeError::body_too_large,
          "the answer's body exceeds " + std::to_string(m_limits.max_body_bytes) + " bytes");
    if (ec) return fail(ExchangeError::malformed, "not an HTTP/1.1 answer (" + ec.message() + ")");
    if (p.is_done()) {
      m_state = State::done;
      return m_state;
    }
    if (used == 0 && produced == 0) return m_state;  // the rest needs more bytes
  }
  return m_state;
}

bool ResponseDecoder::deliver_head() {
  m_head_delivered = true;
  const auto& message = m_parser->parser.get();
  ResponseHead head;
  head.status = static_cast<int>(message.result_int());
  if (auto length = m_parser->parser.content_length()) head.content_length = *length;
  for (const auto& field : message) {
    if (head.fields.size() == m_limits.max_header_fields) {
      fail(ExchangeError::head_too_large, "the answer has more than " +
                                              std::to_string(m_limits.max_header_fields) +
                                              " header fields");
      return false;
    }
    head.fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  if (!m_reader.on_head(head)) {
    fail(ExchangeError::stopped, "");
    return false;
  }
  return true;
}

ResponseDecoder::State ResponseDecoder::fail(ExchangeError error, std::string detail) {
  if (m_state != State::more) return m_state;
  m_state = State::failed;
  m_outcome.error = error;
  m_outcome.detail = std::move(detail);
  return m_state;
}

}  // namespace kci

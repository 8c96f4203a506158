#include "exporter/http/response_decoder.hpp"

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cctype>
#include <cstring>
#include <limits>
#include <optional>

#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// Interim (1xx) answers skipped before the answer, at most (RFC 9110 section 15.2: a client
// parses and ignores those it did not ask for, 103 Early Hints from a CDN among them).
constexpr int k_max_interim_answers = 8;
// The input buffer holds at most the head's bound plus this; a chunk-size line (extensions
// included), or the whole trailer section, must fit in it to be parsed.
constexpr std::size_t k_line_allowance = 16 * 1024;

std::string kib(std::size_t bytes) {
  return bytes % 1024 == 0 ? std::to_string(bytes / 1024) + " KiB"
                           : std::to_string(bytes) + " bytes";
}

}  // namespace

struct ResponseDecoder::Parser {
  // The body piece is as large as the input buffer, so the parser never holds body bytes it
  // cannot hand over (Beast 1.74 counts all it is offered of a body delimited by the close
  // against body_limit, basic_parser.ipp parse_body_to_eof).
  explicit Parser(std::size_t input_limit)
      : input(input_limit), piece_size(input_limit), piece(std::make_unique<char[]>(input_limit)) {}
  std::optional<http::response_parser<http::buffer_body>> parser;
  beast::flat_buffer input;  // received, not parsed yet: an incomplete head or line
  std::size_t piece_size;
  std::unique_ptr<char[]> piece;
};

std::string_view ResponseHead::field(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals_ascii(n, name)) return v;
  return {};
}

ResponseDecoder::ResponseDecoder(const ResponseLimits& limits, bool head_request,
                                 ResponseReader& reader)
    : m_limits(limits),
      m_reader(reader),
      m_head_request(head_request),
      m_parser(std::make_unique<Parser>(limits.max_head_bytes + k_line_allowance)) {
  new_parser();
}

void ResponseDecoder::new_parser() {
  auto& p = m_parser->parser.emplace();
  p.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(m_limits.max_head_bytes, std::numeric_limits<std::uint32_t>::max())));
  p.body_limit(m_limits.max_body_bytes);
  p.eager(true);
  if (m_head_request) p.skip(true);
}

ResponseDecoder::~ResponseDecoder() = default;

ResponseDecoder::State ResponseDecoder::feed(std::string_view bytes) {
  auto& input = m_parser->input;
  while (m_state == State::more && !bytes.empty()) {
    const std::size_t room = input.max_size() - input.size();
    if (room == 0)
      return m_parser->parser->is_header_done()
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
  auto& p = *m_parser->parser;
  if (!p.got_some()) return fail(ExchangeError::lost, "the connection closed before an answer");
  beast::error_code ec;
  p.put_eof(ec);
  if (ec) return fail(ExchangeError::lost, "the connection closed before the answer was complete");
  if (p.is_header_done() && !m_head_delivered && !deliver_head()) return m_state;
  m_state = State::done;
  return m_state;
}

ResponseDecoder::State ResponseDecoder::parse() {
  auto& input = m_parser->input;
  while (m_state == State::more) {
    auto& p = *m_parser->parser;
    auto& body = p.get().body();
    body.data = m_parser->piece.get();
    body.size = m_parser->piece_size;
    beast::error_code ec;
    const std::size_t used = p.put(input.data(), ec);
    input.consume(used);
    if (ec == http::error::need_buffer) ec = {};
    if (p.is_header_done() && !m_head_delivered) {
      const unsigned status = p.get().result_int();
      if (status == 101)
        return fail(ExchangeError::malformed, "101 Switching Protocols, and no upgrade was asked");
      if (status >= 100 && status < 200) {  // an interim answer: the answer follows it
        if (++m_interim_answers > k_max_interim_answers)
          return fail(ExchangeError::malformed, "more than 8 interim (1xx) answers");
        new_parser();
        continue;
      }
      if (!deliver_head()) return m_state;
    }
    const std::size_t produced = m_parser->piece_size - p.get().body().size;
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
  const auto& message = m_parser->parser->get();
  ResponseHead head;
  head.status = static_cast<int>(message.result_int());
  if (auto length = m_parser->parser->content_length()) head.content_length = *length;
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

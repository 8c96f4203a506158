#pragma once
// The answer side of one HTTP/1.1 exchange, with no I/O: bytes in as they arrive, in pieces cut
// anywhere; the head (status and fields) and the de-chunked body out to a ResponseReader. What
// the peer sends is bounded before it is kept: the status line and header section (bytes and
// number of fields), every chunk-size and trailer line (they must fit in the input buffer:
// max_head_bytes plus 16 KiB), the body as framed. Parsing is Beast's (RFC 9112 framing).
// Interim (1xx) answers are skipped (at most 8), a 101 is refused. No byte the peer sent is part
// of an outcome's detail: our words and the parser's only.
// http_exchange.hpp feeds it from a socket; tests/fuzz/fuzz_http_response.cpp from anywhere.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kci {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct ResponseHead {
  int status = 0;
  std::optional<std::uint64_t> content_length;
  HeaderList fields;  // in the order received
  // The first field named `name` (case-insensitive), "" when there is none.
  std::string_view field(std::string_view name) const;
};

// Receives the answer: the head once, then the body piece by piece. Returning false stops the
// exchange (ExchangeError::stopped): the reader holds the reason.
class ResponseReader {
 public:
  virtual ~ResponseReader() = default;
  virtual bool on_head(const ResponseHead& head) = 0;
  virtual bool on_body(std::string_view piece) = 0;
};

enum class ExchangeError {
  none,
  bad_request,      // a header name or value we were given cannot be sent (CR, LF, NUL)
  resolve,          // the host name did not resolve
  connect,          // no TCP connection
  connect_timeout,  // no connection (TCP and TLS handshake) within connect_timeout
  tls,              // the TLS handshake failed (certificate verification among the causes)
  lost,             // the connection broke or closed before the answer was complete
  idle_timeout,     // the peer sent nothing for idle_timeout
  deadline,         // the deadline passed
  cancelled,        // the cancellation predicate said so
  head_too_large,   // the status line and headers exceed max_head_bytes or max_header_fields
  body_too_large,   // the framed body exceeds max_body_bytes (by Content-Length or as read)
  malformed,        // not HTTP/1.x as RFC 9112 frames it (the parser's words say how)
  stopped,          // the reader returned false
};

struct ExchangeOutcome {
  ExchangeError error = ExchangeError::none;
  std::string detail;         // one line; "" for none and stopped
  bool request_sent = false;  // a byte of the request may have reached the peer
  bool ok() const { return error == ExchangeError::none; }
};

struct ResponseLimits {
  std::size_t max_head_bytes = 64 * 1024;  // status line and header section
  std::size_t max_header_fields = 128;
  std::uint64_t max_body_bytes = 16u << 20;  // as framed on the wire (before content decoding)
};

class ResponseDecoder {
 public:
  enum class State { more, done, failed };

  // `head_request`: the answer to a HEAD has no body whatever its fields say.
  ResponseDecoder(const ResponseLimits& limits, bool head_request, ResponseReader& reader);
  ~ResponseDecoder();
  ResponseDecoder(const ResponseDecoder&) = delete;
  ResponseDecoder& operator=(const ResponseDecoder&) = delete;

  // Takes the next bytes received. After done or failed, further bytes are ignored.
  State feed(std::string_view bytes);
  // The peer closed: done when the answer is complete (a body delimited by the close included).
  State feed_eof();
  // Why it failed (error and detail), or none.
  const ExchangeOutcome& outcome() const { return m_outcome; }

 private:
  struct Parser;
  void new_parser();  // for the answer, or the next one after an interim (1xx) answer
  State parse();
  State fail(ExchangeError error, std::string detail);
  bool deliver_head();

  ResponseLimits m_limits;
  ResponseReader& m_reader;
  bool m_head_request;
  int m_interim_answers = 0;
  std::unique_ptr<Parser> m_parser;
  State m_state = State::more;
  bool m_head_delivered = false;
  ExchangeOutcome m_outcome;
};

}  // namespace kci

// libFuzzer target: any bytes a server sends, cut into pieces of any size, through the client's
// response decoder (http/response_decoder.hpp, Beast's parser with our limits), for a GET and
// for a HEAD. The first byte picks the piece size. Oracles: the head reaches the reader at most
// once and before any body byte; the head keeps within its limits (fields, bytes); the body
// handed over never exceeds the body limit; a failure's detail is one line of at most 200
// characters; after done or failed, nothing more reaches the reader.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "exporter/http/response_decoder.hpp"

namespace {

class CheckingReader final : public kci::ResponseReader {
 public:
  explicit CheckingReader(const kci::ResponseLimits& limits) : m_limits(limits) {}
  bool on_head(const kci::ResponseHead& head) override {
    if (m_heads++ != 0 || m_body != 0 || closed) std::abort();
    if (head.fields.size() > m_limits.max_header_fields) std::abort();
    std::size_t bytes = 0;
    for (const auto& [name, value] : head.fields) bytes += name.size() + value.size();
    if (bytes > m_limits.max_head_bytes) std::abort();
    if (head.status < 0 || head.status > 999) std::abort();
    return true;
  }
  bool on_body(std::string_view piece) override {
    if (m_heads != 1 || closed || piece.empty()) std::abort();
    m_body += piece.size();
    if (m_body > m_limits.max_body_bytes) std::abort();
    return true;
  }
  bool closed = false;

 private:
  const kci::ResponseLimits& m_limits;
  int m_heads = 0;
  std::uint64_t m_body = 0;
};

void decode(std::string_view bytes, std::size_t piece, bool head_request) {
  kci::ResponseLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_header_fields = 16;
  limits.max_body_bytes = 64 * 1024;
  CheckingReader reader(limits);
  kci::ResponseDecoder decoder(limits, head_request, reader);
  auto state = kci::ResponseDecoder::State::more;
  while (!bytes.empty() && state == kci::ResponseDecoder::State::more) {
    const auto n = std::min(piece, bytes.size());
    state = decoder.feed(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  if (state == kci::ResponseDecoder::State::more) state = decoder.feed_eof();
  if (state == kci::ResponseDecoder::State::more) std::abort();  // EOF always concludes
  reader.closed = true;
  (void)decoder.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");  // ignored now
  const auto& outcome = decoder.outcome();
  if ((state == kci::ResponseDecoder::State::done) != outcome.ok()) std::abort();
  if (outcome.detail.size() > 200 || outcome.detail.find_first_of("\r\n") != std::string::npos)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = (data[0] & 0x3f) + 1;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  decode(bytes, piece, false);
  decode(bytes, piece, true);
  return 0;
}

#include "exporter/kubecost/allocation_stream_sink.hpp"

#include <utility>

namespace kci {

AllocationStreamSink::AllocationStreamSink(ParseOptions options, AllocationVisitor visit)
    : m_options(std::move(options)),
      m_visit(std::move(visit)),
      m_window(k_default_max_allocation_bytes, k_default_window_bytes) {
  AllocationStreamSink::begin();
}

void AllocationStreamSink::begin() {
  m_stream.reset();
  m_stream.emplace(m_options, m_visit, m_window);
  m_failure.reset();
}

bool AllocationStreamSink::write(std::string_view chunk) {
  if (m_failure) return false;
  auto fed = m_stream->feed(chunk);
  if (!fed.ok()) m_failure = fed.failure();
  return fed.ok();
}

std::span<char> AllocationStreamSink::room() {
  return m_failure ? std::span<char>() : m_stream->room();
}

Expected<ParseSummary> AllocationStreamSink::finish() {
  if (m_failure) return *m_failure;
  return m_stream->finish();
}

}  // namespace kci

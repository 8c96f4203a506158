#pragma once
// An Allocation answer parsed as it arrives: a BodySink whose chunks go through an
// AllocationStream to a visitor, so nothing holds the answer. begin() starts over (a retry);
// write() keeps the stream's first failure and refuses every later chunk; finish() gives that
// failure, else the stream's end. The serve snapshot, the label families and s3-export's days
// derive from it and keep what they build.
#include <optional>
#include <string_view>

#include "exporter/http/body_sink.hpp"
#include "exporter/kubecost/allocation_stream.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class AllocationStreamSink : public BodySink {
 public:
  AllocationStreamSink(ParseOptions options, AllocationVisitor visit);
  void begin() override;
  bool write(std::string_view chunk) override;
  std::span<char> room() override;  // the stream's window (AllocationStream::room)
  Expected<ParseSummary> finish();

 protected:
  const AllocationStream& stream() const { return *m_stream; }
  bool refused() const { return m_failure.has_value(); }  // write() failed

 private:
  ParseOptions m_options;
  AllocationVisitor m_visit;  // the stream keeps a reference: the sink is never moved
  JsonWindow m_window;        // one for every answer the sink reads (a poll after another)
  std::optional<AllocationStream> m_stream;
  std::optional<Failure> m_failure;
};

}  // namespace kci

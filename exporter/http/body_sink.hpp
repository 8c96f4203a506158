#pragma once
#include <span>
#include <string_view>

#include "exporter/util/result.hpp"

namespace kci {

// Where a 2xx body goes as it arrives (decompressed), chunk by chunk, so no buffer the size of
// the answer exists. begin() starts every attempt (a retry starts over); write() returning
// false stops the transfer: the consumer found the answer bad and holds its own failure.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual void begin() = 0;
  virtual bool write(std::string_view chunk) = 0;
  // Where the next bytes may be written in place (a decoder such as the gzip inflater writes
  // there, then calls write() with a view of what it wrote, which the sink takes without a copy);
  // empty when the sink offers no such buffer. Valid until the next call on the sink.
  virtual std::span<char> room() { return {}; }
  // False once the sink has acted on bytes it cannot take back (rows written to a file): the
  // client then reports the failure instead of retrying.
  virtual bool can_restart() const { return true; }
};

// The failure a source returns when its sink refused the bytes (the sink's failure is the one
// to report), and the test for it: by the typed flag, never by the message text.
inline Failure sink_refused() {
  Failure f{FailureReason::parse, "the answer was refused while it arrived"};
  f.refused_by_sink = true;
  return f;
}
inline bool is_sink_refused(const Failure& f) { return f.refused_by_sink; }

}  // namespace kci

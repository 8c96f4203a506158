// libFuzzer target: any bytes as a Kubecost answer through the one poll function
// (parse -> snapshot -> render), with two oracles: the exposition's shape, and the stream
// split at fuzzer-chosen chunk sizes agreeing with the whole-body parse.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/kubecost/allocation_stream.hpp"
#include "exporter/kubecost/answer_source.hpp"
#include "exporter/serve/poll.hpp"

namespace {

// Allocations seen and the failure reason (or -1) when the answer comes in `chunk`-byte pieces,
// read in windows of `window` new bytes.
std::pair<std::size_t, int> stream_in_chunks(std::string_view body, std::size_t chunk,
                                             std::size_t window) {
  static const kci::ParseOptions options{{"team"}, {}, false};
  std::size_t seen = 0;
  kci::AllocationVisitor visit = [&](const kci::ParsedAllocation&) { ++seen; };
  kci::AllocationStream stream(options, visit, kci::k_default_max_allocation_bytes, window);
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    auto fed = stream.feed(body.substr(at, chunk));
    if (!fed.ok()) return {seen, static_cast<int>(fed.failure().reason)};
  }
  auto done = stream.finish();
  return {seen, done.ok() ? -1 : static_cast<int>(done.failure().reason)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kci::CostSeriesOptions options = [] {
    kci::CostSeriesOptions c;
    c.pod_metrics = true;
    c.top_n_pods = 3;
    c.label_keys = {"team"};
    return c;
  }();
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The poll as the poller runs it, the answer arriving in the fuzzer's chunks.
  kci::AnswerSource source(body, chunk);
  kci::PollStages stages;
  auto r = kci::run_poll(source, options, 1.7e9, stages);
  if (r.ok()) {
    const std::string_view text = r.value().costs->text();
    // Every line of the exposition is a comment or `name{...} value`: no raw newline leaks.
    for (std::size_t p = 0, nl; p < text.size(); p = nl + 1) {
      nl = text.find('\n', p);
      if (nl == std::string::npos) __builtin_trap();
      if (text[p] != '#' && text.find(' ', p) > nl) __builtin_trap();
    }
  }
  // However the bytes arrive, and whatever windows cut them, the answer means the same (the
  // allocations a failed answer showed before failing may differ: callers keep none of them).
  const auto whole = stream_in_chunks(body, body.size() + 1, kci::k_default_window_bytes);
  const auto split = stream_in_chunks(body, chunk, chunk);
  if (whole.second != split.second || (whole.second == -1 && whole.first != split.first))
    __builtin_trap();
  if ((whole.second == -1) != r.ok()) __builtin_trap();
  return 0;
}

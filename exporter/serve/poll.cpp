#include "exporter/serve/poll.hpp"

#include <chrono>
#include <utility>
#include <vector>

#include "exporter/serve/exposition.hpp"
#include "exporter/serve/label_costs.hpp"

namespace kci {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The answer a sink was fed: the source's failure, or (when the sink refused the bytes, or
// the transfer ended) the sink's own verdict.
template <class Sink>
auto finished(const Expected<void>& fetched, Sink& sink) -> decltype(sink.finish()) {
  if (!fetched.ok() && !is_sink_refused(fetched.failure())) return fetched.failure();
  return sink.finish();
}

}  // namespace

Expected<PollResult> run_poll(AllocationSource& source, const CostSeriesOptions& options,
                              double now, PollStages& stages) {
  stages = {};
  const auto t0 = std::chrono::steady_clock::now();
  auto fetch_seconds = [&](double parse) { return seconds_since(t0) - parse; };
  // The sink (its JSON window, its namespace index) is gone before the render: a poll's peak
  // memory holds the snapshot and the render, not the parse as well.
  auto snapshot = [&] {
    SnapshotSink sink(options, now);
    auto built = finished(source.fetch(sink), sink);
    stages.parse = sink.parse_seconds();
    return built;
  }();
  if (!snapshot.ok()) {
    stages.fetch = fetch_seconds(stages.parse);
    return snapshot.failure();
  }
  // Counted before any label answer is asked for or any text is built.
  if (const std::size_t series = count_costs(snapshot.value(), options);
      series > options.max_series) {
    stages.fetch = fetch_seconds(stages.parse);
    return too_many_series(series, false, options);
  }
  std::vector<LabelCostRow> label_rows;
  if (source.has_label_aggregation()) {
    for (const auto& key : options.label_keys) {
      LabelCostSink label_sink(options, key);
      auto rows = finished(source.fetch_label(key, label_sink), label_sink);
      if (!rows.ok()) {
        stages.fetch = fetch_seconds(stages.parse);
        return rows.failure();
      }
      for (auto& r : rows.value()) label_rows.push_back(std::move(r));
    }
  }
  stages.fetch = fetch_seconds(stages.parse);
  const auto r0 = std::chrono::steady_clock::now();
  PollResult result = render_poll_result(snapshot.value(), options, label_rows);
  stages.render = seconds_since(r0);
  // The label families (one series per label value) come on top of the cost series.
  if (result.series > options.max_series) return too_many_series(result.series, false, options);
  return result;
}

}  // namespace kci

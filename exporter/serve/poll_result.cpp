#include "exporter/serve/poll_result.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ParseOptions snapshot_options(const CostSeriesOptions& options) {
  ParseOptions parse;
  for (const auto& key : options.label_keys) parse.label_keys.push_back(sanitize_label_name(key));
  return parse;
}

}  // namespace

bool is_short_window(const WindowSpec& window) {
  return window.nominal_hours > 0 && window.nominal_hours <= 1.0;
}

SnapshotSink::SnapshotSink(const CostSeriesOptions& options, double now)
    : AllocationStreamSink(snapshot_options(options),
                           [this](const ParsedAllocation& a) { m_builder->add(a); }),
      m_options(options),
      m_now(now) {
  m_builder.emplace(m_options, m_now);
}

Failure too_many_series(std::size_t series, bool at_least, const CostSeriesOptions& options) {
  return Failure{FailureReason::too_many_series,
                 std::string("the answer would publish ") + (at_least ? "at least " : "") +
                     std::to_string(series) +
                     " series, more than maxSeries=" + std::to_string(options.max_series) +
                     ": nothing of this poll is published; the last good series stay until "
                     "maxStaleness"};
}

void SnapshotSink::begin() {
  AllocationStreamSink::begin();
  m_builder.emplace(m_options, m_now);
  m_too_many.reset();
  m_parse_seconds = 0;
}

bool SnapshotSink::write(std::string_view chunk) {
  if (m_too_many) return false;
  const auto t0 = std::chrono::steady_clock::now();
  const bool fed = AllocationStreamSink::write(chunk);
  m_parse_seconds += seconds_since(t0);
  if (m_builder->rows_with_cost() > m_options.max_series) {
    m_too_many = too_many_series(m_builder->rows_with_cost(), true, m_options);
    return false;
  }
  return fed;
}

Expected<CostSnapshot> SnapshotSink::finish() {
  if (m_too_many) return *m_too_many;
  const auto t0 = std::chrono::steady_clock::now();
  auto done = AllocationStreamSink::finish();
  m_parse_seconds += seconds_since(t0);
  if (!done.ok()) {
    // `window=1h` is the current, partial hour: Kubecost 2.x answers `data:[null]` for minutes
    // after the hour starts (kubecost/kubecost#3758; CloudTuner's chart comment). Not a broken
    // Kubecost: its own reason.
    if (done.failure().reason == FailureReason::empty && stream().null_sets() > 0 &&
        stream().object_sets() == 0 && is_short_window(m_options.window))
      return Failure{FailureReason::no_data_yet, "Kubecost has no data yet for window " +
                                                     m_options.window.text +
                                                     " (data: only null sets)"};
    return done.failure();
  }
  return std::move(*m_builder).finish();
}

Expected<CostSnapshot> build_snapshot(std::string body, const CostSeriesOptions& options,
                                      double now) {
  SnapshotSink sink(options, now);
  sink.write(body);
  std::string().swap(body);
  return sink.finish();
}

PollResult render_poll_result(const CostSnapshot& snap, const CostSeriesOptions& options,
                              const std::vector<LabelCostRow>& label_rows) {
  PollResult result;
  DeflateWriter writer;
  result.series = render_costs(snap, options, [&](std::string_view piece) { writer.write(piece); });
  // The label families are small (one series per label value): rendered whole, then compressed.
  writer.write(render_label_costs(label_rows, options, snap, result.series));
  result.costs = std::make_shared<const CostExposition>(std::move(writer).finish(), result.series);
  // The 10 namespaces that cost most: only they are named (and copied).
  std::vector<std::pair<std::size_t, double>> totals;
  totals.reserve(snap.namespaces.size());
  for (std::size_t r = 0; r < snap.namespaces.size(); ++r) {
    const CostRow& row = snap.namespaces[r];
    const double v = row.acc.cost_of(CostFamily::total);
    if (!std::isnan(v))
      totals.emplace_back(r, v / rate_divisor(window_hours_of(snap, row.cluster), options));
  }
  const std::size_t shown = std::min<std::size_t>(totals.size(), 10);
  std::partial_sort(totals.begin(), totals.begin() + static_cast<std::ptrdiff_t>(shown),
                    totals.end(), [](const auto& a, const auto& b) {
                      return a.second > b.second || (a.second == b.second && a.first < b.first);
                    });
  for (std::size_t k = 0; k < shown; ++k)
    result.top_namespaces.emplace_back(snap.namespaces[totals[k].first].namespace_name,
                                       totals[k].second);
  result.allocations = snap.allocations;
  result.namespaces = snap.namespaces.size();
  result.window_hours = snap.window_hours;
  result.unsplit_idle_dropped = snap.unsplit_idle_dropped;
  result.unsplit_idle_cost = snap.unsplit_idle_cost;
  return result;
}

}  // namespace kci

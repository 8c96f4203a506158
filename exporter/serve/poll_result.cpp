#include "exporter/serve/poll_result.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/util/padded_buffer.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ParseOptions snapshot_options(const Config& config) {
  ParseOptions options;
  for (const auto& key : config.label_keys) options.label_keys.push_back(sanitize_label_name(key));
  return options;
}

}  // namespace

bool is_short_window(const WindowSpec& window) {
  return window.nominal_hours > 0 && window.nominal_hours <= 1.0;
}

SnapshotSink::SnapshotSink(const Config& config, double now)
    : AllocationStreamSink(snapshot_options(config),
                           [this](const ParsedAllocation& a) { m_builder->add(a); }),
      m_config(config),
      m_now(now) {
  m_builder.emplace(m_config, m_now);
}

void SnapshotSink::begin() {
  AllocationStreamSink::begin();
  m_builder.emplace(m_config, m_now);
  m_parse_seconds = 0;
}

bool SnapshotSink::write(std::string_view chunk) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool fed = AllocationStreamSink::write(chunk);
  m_parse_seconds += seconds_since(t0);
  return fed;
}

Expected<CostSnapshot> SnapshotSink::finish() {
  const auto t0 = std::chrono::steady_clock::now();
  auto done = AllocationStreamSink::finish();
  m_parse_seconds += seconds_since(t0);
  if (!done.ok()) {
    // `window=1h` is the current, partial hour: Kubecost 2.x answers `data:[null]` for minutes
    // after the hour starts (kubecost/kubecost#3758; CloudTuner's chart comment). Not a broken
    // Kubecost: its own reason.
    if (done.failure().reason == FailureReason::empty && stream().null_sets() > 0 &&
        stream().object_sets() == 0 && is_short_window(m_config.window))
      return Failure{FailureReason::no_data_yet, "Kubecost has no data yet for window " +
                                                     m_config.window.text +
                                                     " (data: only null sets)"};
    return done.failure();
  }
  return std::move(*m_builder).finish();
}

Expected<CostSnapshot> build_snapshot(std::string body, const Config& config, double now) {
  SnapshotSink sink(config, now);
  sink.write(body);
  std::string().swap(body);
  return sink.finish();
}

PollResult render_poll_result(const CostSnapshot& snap, const Config& config,
                              const std::vector<LabelCostRow>& label_rows) {
  PollResult result;
  const double divisor = rate_divisor(snap, config);
  DeflateWriter writer;
  result.series = render_costs(snap, config, [&](std::string_view piece) { writer.write(piece); });
  // The label families are small (one series per label value): rendered whole, then compressed.
  writer.write(render_label_costs(label_rows, config, divisor, result.series));
  result.costs = std::make_shared<const CostExposition>(std::move(writer).finish(), result.series);
  for (const auto& row : snap.namespaces) {
    const double v = row.acc.cost_of(CostFamily::total);
    if (!std::isnan(v)) result.top_namespaces.emplace_back(row.namespace_name, v / divisor);
  }
  std::sort(result.top_namespaces.begin(), result.top_namespaces.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (result.top_namespaces.size() > 10) result.top_namespaces.resize(10);
  result.allocations = snap.allocations;
  result.namespaces = snap.namespaces.size();
  result.window_hours = snap.window_hours;
  return result;
}

Expected<PollResult> build_poll_result(std::string body, const Config& config, double now) {
  auto t0 = std::chrono::steady_clock::now();
  auto snap = build_snapshot(std::move(body), config, now);
  if (!snap.ok()) return snap.failure();
  const double parse_seconds = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  PollResult result = render_poll_result(snap.value(), config);
  result.parse_seconds = parse_seconds;
  result.render_seconds = seconds_since(t0);
  return result;
}

Expected<PollResult> build_poll_result_from(std::string_view bytes, const Config& config,
                                            double now) {
  std::string body;
  body.reserve(bytes.size() + k_body_padding);
  body.assign(bytes);
  return build_poll_result(std::move(body), config, now);
}

}  // namespace kci

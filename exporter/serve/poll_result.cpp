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

}  // namespace

Expected<CostSnapshot> build_snapshot(std::string body, const Config& config, double now) {
  ParseOptions options;
  for (const auto& key : config.label_keys) options.label_keys.push_back(sanitize_label_name(key));
  SnapshotBuilder builder(config, now);
  builder.reserve(body.size() / 1000);  // a Kubecost allocation is ~1.2-2.5 KB of JSON
  auto parsed =
      parse_allocations(body, options, [&](const ParsedAllocation& a) { builder.add(a); });
  std::string().swap(body);  // the answer is done with: free it before rendering
  if (!parsed.ok()) return parsed.failure();
  return std::move(builder).finish();
}

PollResult render_poll_result(const CostSnapshot& snap, const Config& config) {
  PollResult result;
  result.cost_text = std::make_shared<const std::string>(render_costs(snap, config, result.series));
  const double divisor = rate_divisor(snap, config);
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

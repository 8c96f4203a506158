#pragma once
// Prometheus text exposition format 0.0.4 for the cost snapshot and the health series.
// Rendered once per poll; /metrics serves the bytes as they are.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "exporter/config/config.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/util/result.hpp"

namespace kci {

inline constexpr std::string_view k_exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// Escapes `\`, `"` and newline as the text format requires for label values.
void append_label_value(std::string& out, std::string_view value);
// Shortest text that reads back as the same double; NaN/Inf in Prometheus spelling.
void append_sample_value(std::string& out, double value);

// Cost series of a snapshot. Adds the number of series written to `series`.
std::string render_costs(const CostSnapshot& snap, const Config& config, std::size_t& series);

struct HealthState {
  double last_duration_seconds = 0;
  bool last_success = false;
  std::array<std::uint64_t, k_poll_failure_reason_count> errors{};  // by FailureReason
  double last_success_timestamp = 0;
  std::size_t series_count = 0;
};

std::string render_health(const HealthState& health, const Config& config);

}  // namespace kci

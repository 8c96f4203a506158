#pragma once
// Prometheus text exposition format 0.0.4 for the cost snapshot (the exporter's own series are
// serve/self_metrics).
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

}  // namespace kci

#pragma once
// Prometheus text exposition format 0.0.4 for the cost snapshot (the exporter's own series are
// serve/self_metrics).
// Rendered once per poll, a piece at a time, straight into the compressor (poll_result): the
// whole text never exists unless a client that refuses gzip asks for it.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/util/result.hpp"

namespace kci {

inline constexpr std::string_view k_exposition_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

// Escapes `\`, `"` and newline as the text format requires for label values.
void append_label_value(std::string& out, std::string_view value);
// Shortest text that reads back as the same double; NaN/Inf in Prometheus spelling.
void append_sample_value(std::string& out, double value);
// `# HELP <name> <help>` and `# TYPE <name> <type>` lines: the one writer of the cost families'
// headers (these families and the label families of label_costs).
void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type);

// Receives the text in order, in pieces of about k_exposition_piece bytes.
using ExpositionSink = std::function<void(std::string_view)>;
inline constexpr std::size_t k_exposition_piece = 64 * 1024;

// Cost series of a snapshot into `sink`. Returns the number of series written.
std::size_t render_costs(const CostSnapshot& snap, const CostSeriesOptions& options,
                         const ExpositionSink& sink);

// The number of series render_costs writes for the same snapshot, counted by the same walk
// without building any text (poll.cpp checks maxSeries with it before rendering).
std::size_t count_costs(const CostSnapshot& snap, const CostSeriesOptions& options);

// The same as one string (tests, golden files, benchmarks). Adds the series to `series`.
std::string render_costs(const CostSnapshot& snap, const CostSeriesOptions& options,
                         std::size_t& series);

}  // namespace kci

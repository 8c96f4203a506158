#pragma once
// Parsing of durations, Kubecost windows and RFC 3339 timestamps.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kci {

// "120" (seconds), "90s", "2m", "1h30m", "1d", "1w", "500ms". nullopt when unparsable or longer
// than 10^10 seconds (about 317 years; the bound keeps every sum of parts from overflowing).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats like Go's time.Duration for logs and config dumps ("2m0s" style is not needed:
// we print the shortest of "<n>h", "<n>m", "<n>s", "<n>ms").
std::string format_duration(std::chrono::milliseconds d);

// A Kubecost/OpenCost `window` value, validated the way their parser accepts it (OpenCost
// core/pkg/opencost/window.go, parseWindow, which Kubecost shares; the forms Kubecost documents
// for `window` are on https://docs.kubecost.com/apis/monitoring-apis/api-allocation).
// `nominal_hours` is the window length where it is fixed by the text itself (durations,
// explicit ranges, today/yesterday/lastweek); 0 for windows whose length depends on the
// calendar ("week", "month", "lastmonth").
struct WindowSpec {
  std::string text;
  double nominal_hours = 0;
};
std::optional<WindowSpec> parse_window(std::string_view text);

// RFC 3339 ("2024-01-02T03:04:05Z", "...05.123+02:00") to Unix seconds; nullopt otherwise.
std::optional<double> parse_rfc3339(std::string_view text);

}  // namespace kci

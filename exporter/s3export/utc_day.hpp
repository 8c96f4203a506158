#pragma once
// s3-export counts in UTC calendar days: day N is [N * 86400, (N + 1) * 86400) Unix seconds,
// the unit of the back-fill, of the object keys and of the Kubecost windows.
#include <cstdint>
#include <string>

namespace kci {

inline constexpr std::int64_t k_day_seconds = 86400;

// The day holding `unix_seconds` (which is never before 1970 here).
inline std::int64_t utc_day(std::int64_t unix_seconds) { return unix_seconds / k_day_seconds; }

// The day's first second formatted with strftime `format`: "2024-01-02" by default, or a part
// of it ("%Y", "%m") for key prefixes.
std::string format_day(std::int64_t day, const char* format = "%Y-%m-%d");

// "<start>,<end>" in RFC 3339 for [start, end) Unix seconds: a Kubecost `window` value.
std::string kubecost_window(std::int64_t start, std::int64_t end);

}  // namespace kci

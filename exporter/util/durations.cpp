#include "exporter/util/durations.hpp"

#include <charconv>
#include <cstdint>
#include <ctime>

namespace kci {
namespace {

bool parse_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  std::uint64_t n = 0;
  // The longest duration accepted, bare or with units: 10^10 s (about 317 years), so no sum of
  // parts can overflow, nor the milliseconds' signed 64 bits.
  constexpr std::uint64_t k_max_ms = 10'000'000'000ULL * 1000;
  if (parse_uint(text, n)) {  // a bare number is seconds, as the Python exporter read it
    if (n > k_max_ms / 1000) return std::nullopt;
    return std::chrono::milliseconds(n * 1000);
  }
  std::uint64_t total_ms = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == 0 || !parse_uint(text.substr(0, i), n) || n > 1'000'000'000ULL) return std::nullopt;
    text.remove_prefix(i);
    std::uint64_t unit_ms = 0;
    if (text.starts_with("ms")) {
      unit_ms = 1;
      text.remove_prefix(2);
    } else if (!text.empty()) {
      switch (text.front()) {
        case 's':
          unit_ms = 1000;
          break;
        case 'm':
          unit_ms = 60'000;
          break;
        case 'h':
          unit_ms = 3'600'000;
          break;
        case 'd':
          unit_ms = 86'400'000;
          break;
        case 'w':
          unit_ms = 604'800'000;
          break;
        default:
          return std::nullopt;
      }
      text.remove_prefix(1);
    } else {
      return std::nullopt;  // "1h30" has no unit on its last part
    }
    if (n * unit_ms > k_max_ms - total_ms) return std::nullopt;  // n <= 10^9: no overflow here
    total_ms += n * unit_ms;
  }
  return std::chrono::milliseconds(total_ms);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<double> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    std::uint64_t v = 0;
    if (!all_digits(s.substr(pos, len)) || !parse_uint(s.substr(pos, len), v)) return false;
    out = static_cast<int>(v);
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!num(0, 4, Y) || s[4] != '-' || !num(5, 2, M) || s[7] != '-' || !num(8, 2, D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, h) || s[13] != ':' ||
      !num(14, 2, m) || s[16] != ':' || !num(17, 2, sec))
    return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    ++i;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
  }
  if (i >= s.size()) return std::nullopt;
  int offset_s = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if (s[i] == '+' || s[i] == '-') {
    int oh, om;
    if (s.size() < i + 6 || !num(i + 1, 2, oh) || s[i + 3] != ':' || !num(i + 4, 2, om))
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm), proleptic Gregorian, UTC.
  int y = Y - (M <= 2);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long long days = static_cast<long long>(era) * 146097 + static_cast<long long>(doe) - 719468;
  return static_cast<double>(days * 86400 + h * 3600 + m * 60 + sec - offset_s) + frac;
}

std::optional<WindowSpec> parse_window(std::string_view raw) {
  std::string_view text = trim(raw);
  WindowSpec spec{std::string(text), 0};
  if (text == "today" || text == "yesterday") {
    spec.nominal_hours = 24;
    return spec;
  }
  if (text == "lastweek") {
    spec.nominal_hours = 168;
    return spec;
  }
  if (text == "week" || text == "month" || text == "lastmonth") return spec;

  // "<n>(m|h|d|w)" optionally followed by " offset <n>(m|h|d|w)"
  auto simple = [](std::string_view s) -> std::optional<double> {
    if (s.size() < 2) return std::nullopt;
    std::uint64_t n = 0;
    if (!all_digits(s.substr(0, s.size() - 1)) || !parse_uint(s.substr(0, s.size() - 1), n) ||
        n == 0)
      return std::nullopt;
    switch (s.back()) {
      case 'm':
        return n / 60.0;
      case 'h':
        return static_cast<double>(n);
      case 'd':
        return n * 24.0;
      case 'w':
        return n * 168.0;
      default:
        return std::nullopt;
    }
  };
  std::string_view head = text;
  if (auto pos = text.find(" offset "); pos != std::string_view::npos) {
    head = text.substr(0, pos);
    if (!simple(trim(text.substr(pos + 8)))) return std::nullopt;
  }
  if (auto hours = simple(head)) {
    spec.nominal_hours = *hours;
    return spec;
  }
  // Explicit ranges: "<unix>,<unix>", "<unix>-<unix>" or "<rfc3339>,<rfc3339>".
  auto sep = text.find(',');
  if (sep == std::string_view::npos && all_digits(text.substr(0, text.find('-'))))
    sep = text.find('-');
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view a = trim(text.substr(0, sep)), b = trim(text.substr(sep + 1));
  std::optional<double> start, end;
  std::uint64_t ua = 0, ub = 0;
  if (parse_uint(a, ua) && parse_uint(b, ub)) {
    start = static_cast<double>(ua);
    end = static_cast<double>(ub);
  } else {
    start = parse_rfc3339(a);
    end = parse_rfc3339(b);
  }
  if (!start || !end || *end <= *start) return std::nullopt;
  spec.nominal_hours = (*end - *start) / 3600.0;
  return spec;
}

}  // namespace kci

#include "exporter/config/value_parsers.hpp"

#include <algorithm>
#include <sstream>

#include "exporter/util/durations.hpp"
#include "exporter/util/result.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {

void bad_value(const std::string& key, const std::string& value, const std::string& why) {
  throw ConfigError(key + ": invalid value \"" + value + "\": " + why);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool parse_bool(const std::string& key, const std::string& v) {
  std::string l = lower(v);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  bad_value(key, v, "expected true or false");
}

std::chrono::milliseconds parse_duration_at_least(const std::string& key, const std::string& v,
                                                  std::chrono::milliseconds min) {
  auto d = parse_duration(v);
  if (!d) bad_value(key, v, "expected a duration such as 120, 90s, 2m or 1h");
  if (*d < min) bad_value(key, v, "must be at least " + format_duration(min));
  return *d;
}

long long parse_int_in(const std::string& key, const std::string& v, long long lo, long long hi) {
  long long n = 0;
  std::size_t used = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size()) bad_value(key, v, "expected a whole number");
  if (n < lo || n > hi)
    bad_value(key, v, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed) {
  std::string l = lower(v);
  std::string list;
  for (const char* a : allowed) {
    if (l == a) return l;
    list += (list.empty() ? "" : "|") + std::string(a);
  }
  bad_value(key, v, "expected one of " + list);
}

std::string http_url(const std::string& key, const std::string& v) {
  if (!(v.starts_with("http://") || v.starts_with("https://")) ||
      v.find_first_of(" \t\r\n") != std::string::npos || v.size() <= v.find("//") + 2)
    bad_value(key, redact_url(v), "expected an http:// or https:// URL");
  std::string out = v;
  while (out.size() > 8 && out.back() == '/') out.pop_back();
  return out;
}

std::string host_port(const std::string& key, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos) bad_value(key, v, "expected HOST:PORT, e.g. :9103");
  parse_int_in(key, v.substr(colon + 1), 0, 65535);
  return v;
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace kci

#pragma once
// Parsers for one setting's text value, as it comes from YAML, the environment or a flag. Each
// returns the parsed value or throws ConfigError("<key>: invalid value \"<value>\": <why>"), one
// line naming the setting's YAML key and the value it refused.
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace kci {

// Throws ConfigError("<key>: invalid value \"<value>\": <why>").
[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& why);

// ASCII lower case.
std::string lower(std::string s);

// true|1|yes|on or false|0|no|off, any case.
bool parse_bool(const std::string& key, const std::string& v);

// A duration (parse_duration's syntax: 120, 90s, 2m, 1h) of at least `min`.
std::chrono::milliseconds parse_duration_at_least(const std::string& key, const std::string& v,
                                                  std::chrono::milliseconds min);

// A whole decimal number in [lo, hi].
long long parse_int_in(const std::string& key, const std::string& v, long long lo, long long hi);

// One of `allowed` (compared in lower case); returns the lower-case spelling.
std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed);

// An http:// or https:// URL without whitespace; trailing slashes removed. The refused value is
// shown with its credentials redacted.
std::string http_url(const std::string& key, const std::string& v);

// HOST:PORT (HOST may be empty) with PORT in 0..65535; returned unchanged.
std::string host_port(const std::string& key, const std::string& v);

// Comma-separated items, each trimmed of blanks; empty items are dropped.
std::vector<std::string> split_list(const std::string& v);

}  // namespace kci

#include "exporter/config/value_parsers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "exporter/util/durations.hpp"
#include "exporter/util/result.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {

std::string quoted_value(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += "\\x";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

void bad_value(const std::string& key, const std::string& value, const std::string& why) {
  throw ConfigError(key + ": invalid value " + quoted_value(value) + ": " + why);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool parse_bool(const std::string& key, const std::string& v) {
  std::string l = lower(v);
  if (l == "true" || l == "1" || l == "yes" || l == "y" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "n" || l == "off") return false;
  bad_value(key, v, "expected true or false");
}

std::chrono::milliseconds parse_duration_at_least(const std::string& key, const std::string& v,
                                                  std::chrono::milliseconds min) {
  auto d = parse_duration(v);
  if (!d) bad_value(key, v, "expected a duration such as 120, 90s, 2m or 1h");
  if (*d < min) bad_value(key, v, "must be at least " + format_duration(min));
  return *d;
}

namespace {

// Python's whitespace for float(): str.strip() removes these (and other Unicode spaces, which
// environment values of this exporter do not carry).
bool is_py_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// A run of digits, single underscores allowed between two digits (PEP 515); false if `s` at `i`
// does not start one or an underscore is misplaced. Appends the digits to `out`.
bool digit_run(const std::string& s, std::size_t& i, std::string& out) {
  const std::size_t start = i;
  while (i < s.size()) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      out += s[i++];
    } else if (s[i] == '_' && i > start && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(s[i - 1]))) {
      ++i;
    } else {
      break;
    }
  }
  return i > start;
}

// The text of a finite decimal float literal as float() accepts it (sign, digits, point,
// exponent, underscores), normalised for strtod; "" when it is not one. nan and inf spellings
// return "nan" / "inf" so the caller can name them.
std::string python_float_text(const std::string& raw) {
  std::size_t b = 0, e = raw.size();
  while (b < e && is_py_space(raw[b])) ++b;
  while (e > b && is_py_space(raw[e - 1])) --e;
  const std::string s = raw.substr(b, e - b);
  std::string out;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) out += s[i++];
  const std::string word = lower(s.substr(i));
  if (word == "nan") return "nan";
  if (word == "inf" || word == "infinity") return "inf";
  bool int_digits = digit_run(s, i, out);
  bool frac_digits = false;
  if (i < s.size() && s[i] == '.') {
    out += s[i++];
    frac_digits = digit_run(s, i, out);
  }
  if (!int_digits && !frac_digits) return "";
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    out += s[i++];
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) out += s[i++];
    if (!digit_run(s, i, out)) return "";
  }
  return i == s.size() ? out : "";
}

}  // namespace

std::chrono::milliseconds parse_seconds_like_python(const std::string& key, const std::string& v,
                                                    std::chrono::milliseconds max) {
  const std::string text = python_float_text(v);
  double seconds = 0;
  if (text.empty()) {
    // Not a float(): our own duration syntax ("90s", "2m") is accepted too.
    if (auto d = parse_duration(v)) {
      if (d->count() <= 0) bad_value(key, v, "must be more than zero seconds");
      if (*d > max) bad_value(key, v, "must be at most " + format_duration(max));
      return *d;
    }
    bad_value(key, v, "expected seconds as a number (10, 10.5, 1e1) or a duration such as 90s");
  }
  if (text == "nan" || text == "inf" || text == "+nan" || text == "-nan" || text == "+inf" ||
      text == "-inf")
    bad_value(key, v, "must be a finite number of seconds");
  seconds = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(seconds)) bad_value(key, v, "must be a finite number of seconds");
  if (!(seconds > 0)) bad_value(key, v, "must be more than zero seconds");
  if (seconds * 1000.0 > static_cast<double>(max.count()))
    bad_value(key, v, "must be at most " + format_duration(max));
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000.0)));
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

long long parse_int_like_python(const std::string& key, const std::string& v, long long lo,
                                long long hi) {
  std::size_t b = 0, e = v.size();
  while (b < e && is_py_space(v[b])) ++b;
  while (e > b && is_py_space(v[e - 1])) --e;
  const std::string s = v.substr(b, e - b);
  std::size_t i = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::string digits;
  if (!digit_run(s, i, digits) || i != s.size()) bad_value(key, v, "expected a whole number");
  const std::size_t first = std::min(digits.find_first_not_of('0'), digits.size());
  const std::string significant = digits.substr(first);
  // 19 digits or more would overflow long long and are past any range a setting takes.
  if (significant.size() > 18)
    bad_value(key, v, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  long long n = significant.empty() ? 0 : std::stoll(significant);
  if (negative) n = -n;
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

std::string http_url_without_userinfo(const std::string& key, const std::string& v) {
  std::string url = http_url(key, v);
  const std::size_t host = url.find("//") + 2;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", host), url.size());
  if (url.find('@', host) < authority_end)
    bad_value(key, redact_url(url),
              "credentials in the URL are not sent; put the user name in "
              "kubecostBasicAuthUsername and the password in the file "
              "kubecostBasicAuthPasswordFile");
  return url;
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

std::string currency_code(const std::string& key, const std::string& v) {
  const bool ok =
      v.size() == 3 && std::all_of(v.begin(), v.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) bad_value(key, v, "expected an ISO 4217 code such as USD");
  return v;
}

std::vector<std::string> kubernetes_key_list(const std::string& key, const std::string& v,
                                             KeyExport how) {
  std::vector<std::string> keys = split_list(v);
  for (const auto& k : keys) {
    const bool bad_char = std::any_of(k.begin(), k.end(), [](unsigned char c) {
      return c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '=' || c == ' ';
    });
    if (k.size() > 317 || bad_char) bad_value(key, k, "not a Kubernetes label key");
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const std::string& a = keys[j];
      const std::string& b = keys[i];
      const std::string both = key + ": \"" + a + "\" and \"" + b + "\" ";
      if (a == b) throw ConfigError(key + ": \"" + a + "\" is listed twice");
      const std::string sa = sanitize_label_name(a);
      if (sa == sanitize_label_name(b)) {
        if (how == KeyExport::prometheus_label)
          throw ConfigError(both + "both become the label label_" + sa +
                            "; Prometheus rejects a scrape that repeats a label name");
        throw ConfigError(
            both + "both read Kubecost's " + sa +
            " (Kubecost sanitises keys), so their columns would hold the same values");
      }
      if (how == KeyExport::parquet_column && lower(a) == lower(b))
        throw ConfigError(both +
                          "differ only in case: Athena, which lower-cases column names, "
                          "would see one column");
    }
  }
  return keys;
}

void check_basic_auth_username(const std::string& key, const std::string& user) {
  if (user.empty()) bad_value(key, user, "must not be empty");
  if (user.find(':') != std::string::npos)
    bad_value(key, user, "a basic-auth user name cannot hold ':' (RFC 7617)");
  if (!std::all_of(user.begin(), user.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
      }))
    bad_value(key, user, "holds a control byte");
}

}  // namespace kci

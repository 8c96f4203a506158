#pragma once
// Parsers for one setting's text value, as it comes from YAML, the environment or a flag. Each
// returns the parsed value or throws ConfigError("<key>: invalid value \"<value>\": <why>"), one
// line naming the setting's YAML key and the value it refused (escaped: see quoted_value).
#include <chrono>
#include <initializer_list>
#include <string>
#include <vector>

namespace kci {

// The value in double quotes, with \ " and control characters escaped (\n, \t, \x01), so an
// error message stays one line whatever the value holds.
std::string quoted_value(const std::string& value);

// Throws ConfigError("<key>: invalid value <quoted_value(value)>: <why>").
[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& why);

// ASCII lower case.
std::string lower(std::string s);

// true|1|yes|y|on or false|0|no|n|off, any case: a superset of what the AWS kubecost-s3-exporter
// accepts for TLS_VERIFY and KUBECOST_ALLOCATION_API_PAGINATE (main.py: .lower() in
// yes|y|true / no|n|false).
bool parse_bool(const std::string& key, const std::string& v);

// A duration (parse_duration's syntax: 120, 90s, 2m, 1h) of at least `min`.
std::chrono::milliseconds parse_duration_at_least(const std::string& key, const std::string& v,
                                                  std::chrono::milliseconds min);

// Seconds as Python's float() reads them, as the AWS kubecost-s3-exporter parses its timeouts
// (main.py: float(os.environ.get("CONNECTION_TIMEOUT", 10))): "10", "10.5", "60.0", "1e1",
// ".5", "+3", "1_000" (digits grouped by single underscores), with leading and trailing
// blanks; or a duration of parse_duration's syntax ("90s", "2m"). Refused, in one line: nan,
// inf, zero or less (as main.py: "must be a non-zero positive float"), anything else float()
// refuses, and more than `max`. The result is rounded up to a whole millisecond.
std::chrono::milliseconds parse_seconds_like_python(const std::string& key, const std::string& v,
                                                    std::chrono::milliseconds max);

// A whole decimal number in [lo, hi].
long long parse_int_in(const std::string& key, const std::string& v, long long lo, long long hi);

// A whole number as Python's int() reads a base-10 text, in [lo, hi]: as the AWS
// kubecost-s3-exporter parses BACKFILL_PERIOD_DAYS (main.py: int(os.environ.get(...))).
// Leading and trailing blanks, an optional sign, leading zeros and single underscores between
// digits are accepted (" 15", "15 ", "+15", "015", "1_5"); "1__5", "_15", "15_", "1.5" and ""
// are not.
long long parse_int_like_python(const std::string& key, const std::string& v, long long lo,
                                long long hi);

// One of `allowed` (compared in lower case); returns the lower-case spelling.
std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed);

// An http:// or https:// URL without whitespace; trailing slashes removed. The refused value is
// shown with its credentials redacted.
std::string http_url(const std::string& key, const std::string& v);

// http_url, and also refused when the authority holds userinfo ("user:password@host"): the
// client would not send it (it is neither basic auth nor a header), so every poll would fail.
// The error shows the URL redacted and points at kubecostBasicAuthUsername and
// kubecostBasicAuthPasswordFile.
std::string http_url_without_userinfo(const std::string& key, const std::string& v);

// HOST:PORT (HOST may be empty) with PORT in 0..65535; returned unchanged.
std::string host_port(const std::string& key, const std::string& v);

// Comma-separated items, each trimmed of blanks; empty items are dropped.
std::vector<std::string> split_list(const std::string& v);

// An ISO 4217 currency code: exactly three upper-case ASCII letters. The code goes verbatim into
// every cost family's # HELP text (where a newline or backslash would end or corrupt the line
// and make Prometheus reject the whole scrape) and into the currency label.
std::string currency_code(const std::string& key, const std::string& v);

// Where a list of Kubernetes label/annotation keys is exported, which decides when two keys
// collide.
enum class KeyExport {
  // LABEL_KEYS: each key becomes the label label_<sanitize_label_name(key)>. The prefix keeps
  // them apart from the exporter's own labels (cluster, namespace, pod, tenant_id, currency)
  // and always makes a valid label name; keys that sanitise alike would repeat a label name,
  // which makes Prometheus reject the scrape.
  prometheus_label,
  // s3-export LABELS / ANNOTATIONS: each key becomes the Parquet column
  // properties.labels.<key> (or properties.annotations.<key>) and reads Kubecost's label under
  // its sanitised name. Keys that sanitise alike would read the same value twice; keys equal
  // but for case would be one column to Athena, whose Glue catalogue lower-cases column names.
  parquet_column,
};

// A comma-separated list of Kubernetes keys (split_list). Throws ConfigError for a key that
// cannot be one (longer than 317 characters, or holding a quote, backslash, '=', blank or
// control character) and for two keys that collide as `how` describes, naming both keys:
//   <key>: "team" is listed twice
//   labelKeys: "a.b" and "a/b" both become the label label_a_b; Prometheus rejects a scrape
//     that repeats a label name
//   labels: "a.b" and "a/b" both read Kubecost's a_b (Kubecost sanitises keys), so their
//     columns would hold the same values
//   labels: "App" and "app" differ only in case: Athena, which lower-cases column names, would
//     see one column
std::vector<std::string> kubernetes_key_list(const std::string& key, const std::string& v,
                                             KeyExport how);

// Checks kubecostBasicAuthUsername: not empty, no ':' (RFC 7617 section 2: the user-id cannot
// hold one) and no control byte. Throws ConfigError naming the key (the user name is not a
// secret and is shown).
void check_basic_auth_username(const std::string& key, const std::string& user);

}  // namespace kci

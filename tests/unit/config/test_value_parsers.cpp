// Value parsers that guard what goes into the exposition and the Parquet schema.
#include <catch2/catch.hpp>

#include <utility>

#include "exporter/config/value_parsers.hpp"
#include "exporter/util/result.hpp"

using namespace kci;

namespace {

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::vector<std::string> keys(const std::string& v, KeyExport how = KeyExport::prometheus_label) {
  return kubernetes_key_list("labelKeys", v, how);
}

}  // namespace

TEST_CASE("value parsers: currency is an ISO 4217 code, nothing that could break # HELP") {
  CHECK(currency_code("currency", "USD") == "USD");
  CHECK(currency_code("currency", "EUR") == "EUR");
  for (const char* bad : {"US D", "usd", "US", "USDT", "", "U$D", "€"}) {
    INFO(bad);
    CHECK(error_of([&] { currency_code("currency", bad); }) ==
          std::string("currency: invalid value \"") + bad +
              "\": expected an ISO 4217 code such as USD");
  }
  // The refused value is escaped, so the error stays one line.
  CHECK(error_of([] { currency_code("currency", "US\nD"); }) ==
        "currency: invalid value \"US\\nD\": expected an ISO 4217 code such as USD");
  CHECK(error_of([] { currency_code("currency", "U\\\"S"); }) ==
        "currency: invalid value \"U\\\\\\\"S\": expected an ISO 4217 code such as USD");
  CHECK(error_of([] { currency_code("currency", std::string("U\x01S")); }) ==
        "currency: invalid value \"U\\x01S\": expected an ISO 4217 code such as USD");
}

TEST_CASE("value parsers: label keys that would repeat a label name are refused, naming both") {
  CHECK(keys("team, app.kubernetes.io/name,,") ==
        std::vector<std::string>{"team", "app.kubernetes.io/name"});
  CHECK(keys("App,app").size() == 2);  // Prometheus label names are case-sensitive
  CHECK(error_of([] { keys("team,owner,team"); }) == "labelKeys: \"team\" is listed twice");
  CHECK(error_of([] { keys("app.kubernetes.io/name,app_kubernetes_io/name"); }) ==
        "labelKeys: \"app.kubernetes.io/name\" and \"app_kubernetes_io/name\" both become the "
        "label label_app_kubernetes_io_name; Prometheus rejects a scrape that repeats a label "
        "name");
  CHECK(error_of([] { keys("a.b,x,a/b"); }) ==
        "labelKeys: \"a.b\" and \"a/b\" both become the label label_a_b; Prometheus rejects a "
        "scrape that repeats a label name");
  // Keys of characters that all sanitise away still make valid, distinct names...
  CHECK(keys("...,....").size() == 2);
  // ...unless they sanitise alike.
  CHECK(error_of([] { keys("a.,a/"); }).starts_with("labelKeys: \"a.\" and \"a/\" both become"));
}

TEST_CASE("value parsers: s3-export keys that would collide as Parquet/Athena columns") {
  const auto column = KeyExport::parquet_column;
  CHECK(kubernetes_key_list("labels", "app.kubernetes.io/name,team", column).size() == 2);
  CHECK(error_of([&] { kubernetes_key_list("labels", "team,team", column); }) ==
        "labels: \"team\" is listed twice");
  CHECK(error_of([&] { kubernetes_key_list("annotations", "a.b,a-b", column); }) ==
        "annotations: \"a.b\" and \"a-b\" both read Kubecost's a_b (Kubecost sanitises keys), so "
        "their columns would hold the same values");
  CHECK(error_of([&] { kubernetes_key_list("labels", "App,app", column); }) ==
        "labels: \"App\" and \"app\" differ only in case: Athena, which lower-cases column names, "
        "would see one column");
}

TEST_CASE("value parsers: a Kubernetes key holds no quote, backslash, '=', blank or control") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a\"b", "a\\\"b"}, {"a\\b", "a\\\\b"}, {"a=b", "a=b"},    {"a b", "a b"},
      {"a\tb", "a\\tb"},  {"a\rb", "a\\rb"},  {"a\nb", "a\\nb"}, {"a\x7f", "a\\x7f"}};
  for (const auto& entry : bad) {
    const std::string& key = entry.first;
    INFO(key);
    CHECK(error_of([&] { keys("ok," + key); }) ==
          "labelKeys: invalid value \"" + entry.second + "\": not a Kubernetes label key");
  }
  CHECK(error_of([] { keys(std::string(318, 'a')); }).ends_with("not a Kubernetes label key"));
  CHECK(keys(std::string(317, 'a')).size() == 1);
}

TEST_CASE("value parsers: whole numbers as Python's int() reads them (BACKFILL_PERIOD_DAYS)") {
  // What int() accepts in base 10 (PEP 515 underscores; str.strip() blanks; sign; zeros).
  const std::pair<const char*, long long> good[] = {
      {"15", 15},  {" 15", 15}, {"15 ", 15},   {"\t15\n", 15}, {"1_5", 15},
      {"+15", 15}, {"015", 15}, {"0_1_5", 15}, {"3650", 3650}, {" +1_0_0 ", 100}};
  for (const auto& [text, want] : good) {
    INFO(text);
    CHECK(parse_int_like_python("backfillPeriodDays", text, 3, 3650) == want);
  }
  for (const char* bad :
       {"1__5", "_15", "15_", "1.5", "", " ", "+", "+ 15", "15x", "0x10", "1e2"}) {
    INFO(bad);
    CHECK(error_of([&] { parse_int_like_python("backfillPeriodDays", bad, 3, 3650); }) ==
          "backfillPeriodDays: invalid value " + quoted_value(bad) + ": expected a whole number");
  }
  for (const char* out : {"2", "-15", "3651", "99999999999999999999999", "-0"}) {
    INFO(out);
    CHECK(error_of([&] { parse_int_like_python("backfillPeriodDays", out, 3, 3650); }) ==
          "backfillPeriodDays: invalid value " + quoted_value(out) +
              ": must be between 3 and 3650");
  }
}

TEST_CASE("value parsers: a basic-auth user name has no ':' (RFC 7617) and no control byte") {
  CHECK_THROWS_AS(check_basic_auth_username("kubecostBasicAuthUsername", "a:b"), ConfigError);
  CHECK_THROWS_AS(check_basic_auth_username("kubecostBasicAuthUsername", "a\nb"), ConfigError);
  CHECK_THROWS_AS(check_basic_auth_username("kubecostBasicAuthUsername", ""), ConfigError);
  CHECK_NOTHROW(check_basic_auth_username("kubecostBasicAuthUsername", "kubecost-reader"));
}

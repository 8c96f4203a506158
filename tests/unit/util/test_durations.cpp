#include <catch2/catch.hpp>

#include "exporter/util/durations.hpp"

using namespace kci;
using std::chrono::milliseconds;

TEST_CASE("durations: bare numbers are seconds, units combine") {
  CHECK(parse_duration("120").value() == milliseconds(120'000));
  CHECK(parse_duration("90s").value() == milliseconds(90'000));
  CHECK(parse_duration("1h30m").value() == milliseconds(5'400'000));
  CHECK(parse_duration("500ms").value() == milliseconds(500));
  CHECK(parse_duration("2d").value() == milliseconds(172'800'000));
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("1h30"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5x"));
  CHECK_FALSE(parse_duration("99999999999999999999"));
  // The sum of parts is bounded (10^10 s) and never wraps: 31 parts of 10^9 weeks once summed
  // past 2^64 ms and came back small.
  std::string many_weeks;
  for (int i = 0; i < 31; ++i) many_weeks += "1000000000w";
  CHECK_FALSE(parse_duration(many_weeks));
  CHECK_FALSE(parse_duration("1000000000w"));
  CHECK_FALSE(parse_duration("10000000001"));
  CHECK(parse_duration("10000000000").value() == milliseconds(10'000'000'000'000));
  CHECK(parse_duration("115740d1h").value() == milliseconds(115'740LL * 86'400'000 + 3'600'000));
  CHECK_FALSE(parse_duration("115741d"));  // 10 000 022 400 s
  CHECK(format_duration(milliseconds(120'000)) == "2m");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
}

TEST_CASE("windows: Kubecost's accepted forms and their lengths") {
  CHECK(parse_window("1h")->nominal_hours == 1);
  CHECK(parse_window("90m")->nominal_hours == 1.5);
  CHECK(parse_window("7d")->nominal_hours == 168);
  CHECK(parse_window("2w")->nominal_hours == 336);
  CHECK(parse_window("today")->nominal_hours == 24);
  CHECK(parse_window("24h offset 1h")->nominal_hours == 24);
  CHECK(parse_window("month")->nominal_hours == 0);
  CHECK(parse_window("1586822400,1586908800")->nominal_hours == 24);
  CHECK(parse_window("1586822400-1586908800")->nominal_hours == 24);
  CHECK(parse_window("2024-01-01T00:00:00Z,2024-01-03T00:00:00Z")->nominal_hours == 48);
  CHECK_FALSE(parse_window("0h"));
  CHECK_FALSE(parse_window("1y"));
  CHECK_FALSE(parse_window("yesterdayish"));
  CHECK_FALSE(parse_window("2024-01-03T00:00:00Z,2024-01-01T00:00:00Z"));  // end before start
  CHECK_FALSE(parse_window("1h offset soon"));
}

TEST_CASE("rfc3339: UTC, offsets and fractions") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z").value() == 0);
  CHECK(parse_rfc3339("2023-01-27T23:00:00Z").value() == 1674860400);
  CHECK(parse_rfc3339("2023-01-28T01:00:00+02:00").value() == 1674860400);
  CHECK(parse_rfc3339("2023-01-27T23:00:00.5Z").value() == 1674860400.5);
  CHECK(parse_rfc3339("2024-02-29T12:00:00Z").value() == 1709208000);
  CHECK_FALSE(parse_rfc3339("null"));
  CHECK_FALSE(parse_rfc3339("2023-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2023-01-01T00:00:00"));
}

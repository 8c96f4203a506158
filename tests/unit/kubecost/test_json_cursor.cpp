// JsonCursor: numbers and strings read as simdjson reads them, skipped values checked for
// structure, and no read past the window's indexes.
#include <simdjson.h>
#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "exporter/kubecost/json_cursor.hpp"
#include "exporter/kubecost/json_window.hpp"

using namespace kci;

namespace {

// One whole text indexed in one window, and a cursor over it.
struct Indexed {
  explicit Indexed(const std::string& text) : window(text.size() + 16, text.size() + 16) {
    REQUIRE(window.append(text) == text.size());
    index_error = window.index(true);
    cursor.reset(window);
  }
  JsonWindow window;
  simdjson::error_code index_error;
  JsonCursor cursor;
};

// simdjson's DOM reading of the number `token` (as an array's one element).
simdjson::error_code dom_number(const std::string& token, double& out) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (auto err = parser.parse("[" + token + "]").get(e)) return err;
  return e.at(0).get_double().get(out);
}

// The cursor's reading of the same number, at structural 1 of "[token]".
simdjson::error_code cursor_number(const std::string& token, double& out) {
  Indexed t("[" + token + "]");
  if (t.index_error) return t.index_error;
  std::uint32_t i = 1;
  return t.cursor.number(i, out);
}

void same_as_simdjson(const std::string& token) {
  INFO("number " << token);
  double ours = 0;
  double theirs = 0;
  const auto our_error = cursor_number(token, ours);
  const auto their_error = dom_number(token, theirs);
  CHECK((our_error == simdjson::SUCCESS) == (their_error == simdjson::SUCCESS));
  // Bit for bit (-0 against 0 included).
  if (!our_error && !their_error)
    CHECK(std::bit_cast<std::uint64_t>(ours) == std::bit_cast<std::uint64_t>(theirs));
}

}  // namespace

TEST_CASE("cursor: numbers read exactly as simdjson reads them, edges included") {
  for (const char* token :
       {"0", "-0", "7", "0.00690", "10737418240.00000", "3981361875.00000", "2.5e3", "1E+2", "1e-2",
        "-12.75", "0.1", "0.2", "0.30000000000000004", "9007199254740993", "123456789012345678",
        "1234567890123456789", "18446744073709551615", "18446744073709551616",
        "-9223372036854775808", "-9223372036854775809", "123456789012345678901",
        "1.7976931348623157e308", "1.8e308", "1e400", "-1e400", "1e-400", "-1e-400", "4.9e-324",
        "2.2250738585072014e-308", "1e22", "1e23", "0.000000000000000000000000001",
        "123456789012345678901234567890e-10", "1e99999999999", "1e-99999999999", "00", "01", "1.",
        ".5", "-", "-a", "1e", "1e+", "1.e5", "+1", "1x", "0x10", "1.2.3", "12345678.12345678",
        "99999999999999999.5",
        // Up to 16 bytes after the sign, digits and one dot: read without a loop
        // (convert_plain); one byte more, the other way.
        "-0.0", "0.0000000000000", "1.00000000000000", "-1.00000000000000", "12345678901234.5",
        "1.23456789012345", "1234567890123456", "9999999999999999", "-9999999999999999", "12345678",
        "123456789", "1234567.8", "12345678.9", "123456789012345.6", "99999999999999.99", "0.",
        "-.5", "-01", "00.5", "0.5.", "1..2", "1.2."})
    same_as_simdjson(token);
}

TEST_CASE("cursor: 20 000 random numbers of every shape read as simdjson reads them") {
  std::mt19937_64 random(20261207);
  const auto digits = [&](int n, bool leading_zero_ok) {
    std::string s;
    for (int k = 0; k < n; ++k) {
      char c = static_cast<char>('0' + random() % 10);
      if (k == 0 && !leading_zero_ok && c == '0') c = '1';
      s += c;
    }
    return s;
  };
  for (int n = 0; n < 20000; ++n) {
    std::string token;
    if (random() % 2) token += '-';
    token += random() % 4 == 0 ? std::string("0") : digits(1 + random() % 22, false);
    if (random() % 3) token += "." + digits(1 + random() % 22, true);
    if (random() % 3 == 0) {
      token += random() % 2 ? 'e' : 'E';
      const auto sign = random() % 3;
      if (sign == 1) token += '-';
      if (sign == 2) token += '+';
      const auto cap = random() % 2 ? 30 : 400;  // drawn first: the same tokens on any compiler
      token += std::to_string(random() % cap);
    }
    same_as_simdjson(token);
  }
}

TEST_CASE("cursor: strings unescaped as simdjson does; bad escapes refused") {
  Indexed t(R"(["plain","a\"b\u00e9\ud83d\ude00","\q","\ud800"])");
  REQUIRE_FALSE(t.index_error);
  std::uint32_t i = 1;
  std::string_view s;
  REQUIRE(t.cursor.string(i, s) == simdjson::SUCCESS);
  CHECK(s == "plain");
  REQUIRE(t.cursor.at(i) == ',');
  ++i;
  REQUIRE(t.cursor.string(i, s) == simdjson::SUCCESS);
  CHECK(s == "a\"b\xc3\xa9\xf0\x9f\x98\x80");
  ++i;
  std::uint32_t bad = i;
  CHECK(t.cursor.string(bad, s) == simdjson::STRING_ERROR);
  i += 2;
  bad = i;
  CHECK(t.cursor.string(bad, s) == simdjson::STRING_ERROR);
  // A string is not a number, nor a number a string: refused without moving on.
  std::uint32_t first = 1;
  double d = 0;
  CHECK(t.cursor.number(first, d) == simdjson::INCORRECT_TYPE);
  CHECK(first == 1);
}

TEST_CASE("cursor: object keys are compared as written") {
  Indexed t(R"({"cpu\u0043ost":1,"ramCost":2})");
  REQUIRE_FALSE(t.index_error);
  std::uint32_t i = 0;
  std::vector<std::string> keys;
  auto err = t.cursor.object(i, 0, [&](std::string_view key, std::uint32_t& v) {
    keys.emplace_back(key);
    return t.cursor.skip(v, 1);
  });
  CHECK(err == simdjson::SUCCESS);
  CHECK(keys == std::vector<std::string>{"cpu\\u0043ost", "ramCost"});
  CHECK(t.window.real(i) == false);  // past the object: the appended text
}

TEST_CASE("cursor: skipped values are checked for structure, atoms and string ends") {
  const auto skip = [](const std::string& text) {
    Indexed t(text);
    if (t.index_error) return t.index_error;
    std::uint32_t i = 0;
    auto err = t.cursor.skip(i, 0);
    if (!err && t.window.real(i)) return simdjson::TAPE_ERROR;  // did not read it all
    return err;
  };
  for (const char* good : {R"({"a":[1,{"b":null},[],{}],"c":"}","d":true,"e":false})", "[]", "{}",
                           R"([[[["x"]]]])", "[null]", R"(["s"])", "[-1]", " null "}) {
    INFO(good);
    CHECK(skip(good) == simdjson::SUCCESS);
  }
  for (const char* bad :
       {R"({"a":[1,2}})", R"({"a" 1})", R"({"a":1,})", R"([1 2])", R"([1,])", R"({1:2})",
        R"({"a":tru})", R"({"a":nul})", R"({"a":falsy})", R"([true false])", R"({"a":})",
        R"({"a":1]})", R"([{]})", "[", R"({"a":)", R"({"a":[)",
        // Atoms inside a value, where each ends at the next structural.
        "[nul]", "[nulll]", "[nuLL]", "[nulx]", R"({"a":nuLL,"b":1})"}) {
    INFO(bad);
    CHECK(skip(bad) != simdjson::SUCCESS);
  }
  // The spelling of a skipped number is not checked (as On-Demand skips it); a read one is.
  CHECK(skip(R"({"a":1.2.3})") == simdjson::SUCCESS);
  // Nesting past 1024 levels is refused, without recursion.
  CHECK(skip(std::string(1100, '[') + std::string(1100, ']')) == simdjson::DEPTH_ERROR);
  CHECK(skip(std::string(1000, '[') + std::string(1000, ']')) == simdjson::SUCCESS);
  CHECK(skip(std::string(100000, '[')) != simdjson::SUCCESS);
}

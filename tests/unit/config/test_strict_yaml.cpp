// load_strict_yaml: duplicate keys at any depth, one document only.
#include <catch2/catch.hpp>

#include "exporter/config/strict_yaml.hpp"
#include "exporter/util/result.hpp"

using namespace kci;

namespace {

std::string duplicate_of(const std::string& text) {
  auto yaml = load_strict_yaml(text, "config.file", "t.yaml");
  if (!yaml.duplicate) return "";
  return yaml.duplicate->path + " " + std::to_string(yaml.duplicate->first_line) + " " +
         std::to_string(yaml.duplicate->second_line);
}

std::string error_of(const std::string& text) {
  try {
    load_strict_yaml(text, "config.file", "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("strict yaml: the first repeated key of any mapping, with both lines") {
  CHECK(duplicate_of("a: 1\nb: 2\na: 3\n") == "a 1 3");
  CHECK(duplicate_of("a: 1\n\"a\": 2\n") == "a 1 2");  // quoting does not make another key
  CHECK(duplicate_of("x:\n  y: 1\n  z: 2\n  y: 3\n") == "x.y 2 4");
  CHECK(duplicate_of("x: {y: 1, y: 2}\n") == "x.y 1 1");
  CHECK(duplicate_of("l:\n  - a: 1\n  - a: 1\n    b: 2\n    a: 3\n") == "l[1].a 3 5");
  CHECK(duplicate_of("a: 1\nb: 2\na: 3\nb: 4\n") == "a 1 3");  // the first one found
}

TEST_CASE("strict yaml: the same key in different mappings is not a duplicate") {
  CHECK(duplicate_of("x:\n  a: 1\ny:\n  a: 1\na: 2\n").empty());
  CHECK(duplicate_of("l: [{a: 1}, {a: 2}]\n").empty());
  CHECK(duplicate_of("a: [a, a, a]\n").empty());  // sequence items are values
  CHECK(duplicate_of("a: a\nb: a\n").empty());
  CHECK(duplicate_of("? [a, b]\n: 1\n? [a, b]\n: 2\nc: 3\n").empty());  // complex keys: not named
  CHECK(duplicate_of("").empty());
  CHECK(duplicate_of("# only a comment\n").empty());
  CHECK(load_strict_yaml("", "config.file", "t.yaml").root.IsNull());
}

TEST_CASE("strict yaml: aliases are not expanded while looking for duplicates") {
  // A billion-laughs shape: expanded, it would be 10^9 nodes.
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 9; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  CHECK(duplicate_of(text).empty());
  CHECK(duplicate_of(text + "a3: 1\n") == "a3 4 11");
}

TEST_CASE("strict yaml: one document; syntax errors name the file and line") {
  CHECK(error_of("a: 1\n---\nb: 2\n") ==
        "config.file: \"t.yaml\" holds more than one YAML document");
  CHECK(error_of("---\na: 1\n").empty());
  CHECK(error_of("a: 1\n...\n").empty());
  CHECK(error_of("a: [1\n").starts_with("config.file: \"t.yaml\" is not valid YAML: "));
  CHECK(error_of("a: 1\n---\nb: [\n").starts_with("config.file: \"t.yaml\" is not valid YAML: "));
}

// Found by fuzz_config_loader: yaml-cpp reads a stray ',' outside a collection as an endless
// run of empty documents (the event loop never ended) and YAML::Load as an empty file (the
// config was silently empty).
TEST_CASE("strict yaml: regression: a stray ',' is invalid YAML, not endless empty documents") {
  CHECK(error_of(",%") == "config.file: \"t.yaml\" is not valid YAML: unexpected ',' at line 1");
  CHECK(error_of(",a: 1\n") ==
        "config.file: \"t.yaml\" is not valid YAML: unexpected ',' at line 1");
  CHECK(error_of("# c\n  ,\n") ==
        "config.file: \"t.yaml\" is not valid YAML: unexpected ',' at line 2");
  CHECK(error_of("[a]\n,\n") ==
        "config.file: \"t.yaml\" is not valid YAML: unexpected ',' at line 2");
  CHECK(error_of("---\n---\n") == "config.file: \"t.yaml\" holds more than one YAML document");
}

// --web.config.file: the toolkit's format and its *.good.yaml / *.bad.yaml fixtures.
#include <dirent.h>
#include <catch2/catch.hpp>

#include "exporter/config/web_config.hpp"
#include "exporter/util/result.hpp"
#include "test_support.hpp"

using namespace kci;

namespace {
const std::string k_dir = std::string(KCI_TESTS_DIR) + "/fixtures/web_config";

// The fixture's first line, "# expect: <error>", with {dir} standing for the fixture directory
// (relative paths in a web config resolve against it).
std::string expected_error(const std::string& path) {
  std::string text = kci::test::read_file(path);
  const std::string tag = "# expect: ";
  REQUIRE(text.starts_with(tag));
  std::string expected = text.substr(tag.size(), text.find('\n') - tag.size());
  for (auto at = expected.find("{dir}"); at != std::string::npos; at = expected.find("{dir}"))
    expected.replace(at, 5, k_dir);
  return expected;
}

}  // namespace

TEST_CASE("web config: every *.good.yaml loads, every *.bad.yaml fails with its expected error") {
  DIR* dir = opendir(k_dir.c_str());
  REQUIRE(dir);
  int good = 0, bad = 0;
  while (auto* e = readdir(dir)) {
    std::string name = e->d_name, path = k_dir + "/" + name;
    INFO(name);
    if (name.ends_with(".good.yaml")) {
      ++good;
      CHECK_NOTHROW(load_web_config(path));
    } else if (name.ends_with(".bad.yaml")) {
      ++bad;
      std::string error;
      try {
        load_web_config(path);
      } catch (const ConfigError& ex) {
        error = ex.what();
      }
      CHECK(error == expected_error(path));
    }
  }
  closedir(dir);
  CHECK(good >= 3);
  CHECK(bad >= 6);
}

TEST_CASE("web config: the file itself must be a regular file of at most 1 MiB") {
  auto error_of = [](const std::string& path) {
    try {
      load_web_config(path);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of(k_dir) == "web.config.file: \"" + k_dir + "\" is not a regular file");
  CHECK(error_of("/dev/zero") == "web.config.file: \"/dev/zero\" is not a regular file");
  CHECK(error_of("/nonexistent.yaml") ==
        "web.config.file: cannot read \"/nonexistent.yaml\": No such file or directory");
}

TEST_CASE("web config: every bcrypt fixture's expectation is the one-line loader error") {
  // Guards the fixture list itself: the cases the security review named are all present.
  for (const char* name :
       {"bcrypt_cost_31", "bcrypt_cost_13", "bcrypt_cost_03", "bcrypt_version_2x",
        "bcrypt_salt_alphabet", "bcrypt_length", "duplicate_user", "key_encrypted"}) {
    INFO(name);
    const std::string path = k_dir + "/" + name + ".bad.yaml";
    std::string error;
    try {
      load_web_config(path);
    } catch (const ConfigError& e) {
      error = e.what();
    }
    CHECK_FALSE(error.empty());
    CHECK(error == expected_error(path));
  }
}

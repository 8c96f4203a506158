// --web.config.file: the toolkit's format and its *.good.yaml / *.bad.yaml fixtures.
#include <dirent.h>
#include <catch2/catch.hpp>

#include "exporter/config/web_config.hpp"
#include "exporter/util/result.hpp"
#include "test_support.hpp"

using namespace kci;

namespace {
const std::string k_dir = std::string(KCI_TESTS_DIR) + "/fixtures/web_config";

std::string expected_error(const std::string& path) {
  std::string text = kci::test::read_file(path);
  const std::string tag = "# expect: ";
  REQUIRE(text.starts_with(tag));
  return text.substr(tag.size(), text.find('\n') - tag.size());
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

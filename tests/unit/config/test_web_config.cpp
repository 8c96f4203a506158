// --web.config.file: the toolkit's format and its *.good.yaml / *.bad.yaml fixtures.
#include <dirent.h>
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "exporter/config/value_parsers.hpp"
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

TEST_CASE(
    "web config: headers the server writes itself or that frame the answer are refused "
    "(issue 21 item B)") {
  auto error_of = [](const std::string& text) {
    try {
      parse_web_config(text, "inline.yaml", "");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::vector<std::pair<std::string, std::string>> refused{
      {"Content-Length", "it frames the message"},
      {"Transfer-Encoding", "it frames the message"},
      {"Trailer", "it frames the message"},
      {"Connection", "it manages the connection"},
      {"Keep-Alive", "it manages the connection"},
      {"Proxy-Connection", "it manages the connection"},
      {"Upgrade", "it manages the connection"},
      {"TE", "it manages the connection"},
      {"Content-Type", "the server sets it on every answer"},
      {"Content-Encoding", "the server sets it (gzip) per answer"},
      {"Content-Range", "the server sends whole answers only"},
      {"Accept-Ranges", "the server sends whole answers only"},
      {"Vary", "the server sets it per answer"},
      {"Cache-Control", "the server sets it per answer"},
      {"Allow", "the server sets it per answer"},
      {"WWW-Authenticate", "the server sets it per answer"},
  };
  for (const auto& [name, why] : refused) {
    for (const std::string& spelling : {name, lower(name)}) {
      INFO(spelling);
      CHECK(error_of("http_server_config:\n  headers:\n    " + spelling + ": x\n") ==
            "web.config.file: http_server_config.headers." + spelling + ": \"x\": refused: " + why +
                "; only headers the server does not write itself can be added");
    }
  }
  // The toolkit's own five (exporter-toolkit web/handler.go extraHTTPHeaders) and other
  // response headers pass.
  CHECK(error_of("http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=1\n"
                 "    X-Content-Type-Options: nosniff\n    X-Frame-Options: deny\n"
                 "    X-XSS-Protection: \"0\"\n    Content-Security-Policy: default-src 'self'\n"
                 "    Referrer-Policy: no-referrer\n") == "");
  CHECK(error_of("http_server_config:\n  headers:\n    X-A: \"a\\nb\"\n") ==
        "web.config.file: http_server_config.headers.X-A: \"a\\nb\": a header value must not hold "
        "CR, LF or another control character");
  CHECK(error_of("http_server_config:\n  headers:\n    X-A: \"a\\0b\"\n") ==
        "web.config.file: http_server_config.headers.X-A: \"a\\x00b\": a header value must not "
        "hold CR, LF or another control character");
  CHECK(error_of("http_server_config:\n  headers:\n    \"X-A\\r\\nX-B\": b\n") ==
        "web.config.file: http_server_config.headers: the name \"X-A\\r\\nX-B\" is not an HTTP "
        "field name (RFC 9110 token)");
  CHECK(error_of("http_server_config:\n  headers:\n    \"\": b\n") ==
        "web.config.file: http_server_config.headers: the name \"\" is not an HTTP field name "
        "(RFC 9110 token)");
}

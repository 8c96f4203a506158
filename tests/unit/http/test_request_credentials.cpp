// The headers file and basic-auth parsing behind kubecostHeadersFile and
// kubecostBasicAuthPasswordFile (request_credentials.hpp).
#include <catch2/catch.hpp>

#include <string>

#include "exporter/http/request_credentials.hpp"
#include "exporter/util/result.hpp"

using namespace kci;

namespace {

std::string error_of(const std::string& text, bool authorization_taken = false) {
  try {
    parse_headers_text(text, "/etc/kc/headers", authorization_taken);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

const std::string prefix = "kubecostHeadersFile: \"/etc/kc/headers\" ";

}  // namespace

TEST_CASE("request headers: Name: value lines, comments and blank lines skipped") {
  auto h = parse_headers_text(
      "# from the oauth2-proxy Secret\n\nCookie:  token=a.b.c; other=1 \n\tX-Scope-OrgID:7\n"
      "Authorization: Bearer from-file",
      "/f", false);
  REQUIRE(h.size() == 3);
  CHECK(h[0].name == "Cookie");
  CHECK(h[0].value == "token=a.b.c; other=1");
  CHECK(h[1].name == "X-Scope-OrgID");  // leading blanks on the line are allowed
  CHECK(h[1].value == "7");
  CHECK(h[2].name == "Authorization");
  CHECK(h[2].value == "Bearer from-file");
  CHECK(parse_headers_text("", "/f", false).empty());
  CHECK(parse_headers_text("\n\n# only comments\n", "/f", false).empty());
  // Every RFC 7230 tchar is allowed in a name; obs-text (UTF-8) in a value.
  CHECK(parse_headers_text("!#$%&'*+-.^_`|~Az09: caf\xc3\xa9\n", "/f", false).size() == 1);
}

TEST_CASE("request headers: refused lines name file and line, never the value") {
  CHECK(error_of("Cookie: token=secret\nBad Name: x\n") ==
        prefix + "line 2: the header name is not an RFC 7230 token");
  CHECK(error_of("X-A(b): x") == prefix + "line 1: the header name is not an RFC 7230 token");
  // A misplaced colon puts the secret before it: the "name" is never shown.
  CHECK(error_of("Authorization Bearer s3cr3t: x") ==
        prefix + "line 1: the header name is not an RFC 7230 token");
  CHECK(error_of(": x") == prefix + "line 1: the header name is empty");
  CHECK(error_of("Cookie token=secret") ==
        prefix + "line 1: expected \"Name: value\" (no ':' on the line)");
  CHECK(error_of("Cookie : token=secret") ==
        prefix + "line 1: the header name is not an RFC 7230 token");
  CHECK(error_of("Cookie: token=secret\r\n") == prefix + "line 1: holds a CR (use LF line ends)");
  CHECK(error_of(std::string("Cookie: tok\0en=secret", 21)).find("control byte") !=
        std::string::npos);
  CHECK(error_of("Cookie: a\x7f") ==
        prefix + "line 1: the value of \"Cookie\" holds a control byte");
  CHECK(error_of("\r\n") == prefix + "line 1: holds a CR (use LF line ends)");
  CHECK(error_of("Cookie:   \n") == prefix + "line 1: the value of \"Cookie\" is empty");
  for (const char* name :
       {"Host", "content-length", "Transfer-Encoding", "CONNECTION", "Keep-Alive", "TE", "Trailer",
        "Upgrade", "Proxy-Connection", "Accept", "Accept-Encoding"}) {
    INFO(name);
    CHECK(error_of(std::string(name) + ": secret") ==
          prefix + "line 1: \"" + name + "\" is set by the exporter and cannot be overridden");
  }
  CHECK(error_of("Cookie: a=secret\ncookie: b=secret") ==
        prefix + "line 2: \"cookie\" is listed twice (combine the values on one line)");
  CHECK(error_of("Authorization: Bearer secret", true) ==
        prefix +
            "line 1: \"Authorization\" conflicts with kubecostBearerTokenFile or "
            "kubecostBasicAuthUsername; configure one of them");
  std::string many;
  for (int i = 0; i < 65; ++i) many += "X-H" + std::to_string(i) + ": v\n";
  CHECK(error_of(many) == prefix + "line 65: more than 64 headers");
  for (const std::string& e : {error_of("Cookie: secret\r"), error_of("Host: secret")})
    CHECK(e.find("secret") == std::string::npos);
}

TEST_CASE("request headers: basic auth is RFC 7617's Basic base64(user:password)") {
  // RFC 7617 section 2's example.
  CHECK(basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(basic_authorization("a", "b") == "Basic YTpi");
}

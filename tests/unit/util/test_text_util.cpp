// redact_url: every URL form that reaches a log line or an error message.
#include <catch2/catch.hpp>

#include "exporter/util/text_util.hpp"

using namespace kci;

TEST_CASE("text_util: redact_url hides userinfo in every URL form") {
  CHECK(redact_url("https://user:pw@kubecost:9090/x") == "https://REDACTED@kubecost:9090/x");
  CHECK(redact_url("http://user:pw@169.254.170.23/v1/credentials") ==
        "http://REDACTED@169.254.170.23/v1/credentials");
  CHECK(redact_url("http://user:pw@127.0.0.1:9000") == "http://REDACTED@127.0.0.1:9000");
  CHECK(redact_url("http://user@host?x=1") == "http://REDACTED@host?x=1");
  CHECK(redact_url("http://user:pw@host#frag") == "http://REDACTED@host#frag");
  // An unencoded '@' in the password: the last '@' of the authority ends the userinfo.
  CHECK(redact_url("https://user:p@ss@host/path") == "https://REDACTED@host/path");
  // No scheme (an endpoint written without one), and a bare host:port with userinfo.
  CHECK(redact_url("user:pw@minio:9000/bucket") == "REDACTED@minio:9000/bucket");
  CHECK(redact_url("user:pw@minio:9000") == "REDACTED@minio:9000");
}

TEST_CASE("text_util: redact_url keeps what is not userinfo") {
  CHECK(redact_url("http://kubecost:9090/a@b") == "http://kubecost:9090/a@b");
  CHECK(redact_url("http://kubecost:9090?q=a@b") == "http://kubecost:9090?q=a@b");
  CHECK(redact_url("https://s3.us-east-1.amazonaws.com") == "https://s3.us-east-1.amazonaws.com");
  CHECK(redact_url("") == "");
  CHECK(redact_url("kubecost:9090") == "kubecost:9090");
}

TEST_CASE("text_util: redact_url hides a presigned URL's secrets") {
  CHECK(redact_url("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                   "&X-Amz-Credential=AKIA%2F20240101&X-Amz-Security-Token=tok"
                   "&X-Amz-Signature=abc123&partNumber=1#f") ==
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED"
        "&X-Amz-Signature=REDACTED&partNumber=1#f");
  CHECK(redact_url("https://u:p@h/k?x-amz-signature=abc") ==
        "https://REDACTED@h/k?x-amz-signature=REDACTED");
}

TEST_CASE("redact_secrets: every occurrence of every secret; a short secret withholds the text") {
  CHECK(redact_secrets("a tok3n b tok3n", {"tok3n"}) == "a <redacted> b <redacted>");
  CHECK(redact_secrets("Cookie: s=abcd; Authorization: Basic QWxh", {"s=abcd", "QWxh", ""}) ==
        "Cookie: <redacted>; Authorization: Basic <redacted>");
  CHECK(redact_secrets("nothing here", {"secret"}) == "nothing here");
  CHECK(redact_secrets("pw is abc", {"abc"}) == "<withheld>");
  CHECK(redact_secrets("aaaa", {"aa"}) == "<withheld>");
  CHECK(redact_secrets("xaaaaaaaax", {"aaaa"}) == "x<redacted><redacted>x");
}

TEST_CASE("redact_secrets: the longest secret first, so one inside another leaves nothing") {
  // "pw12" inside "pw1234": redacted first, it would leave "34" of the longer one.
  CHECK(redact_secrets("x pw1234 y", {"pw12", "pw1234"}) == "x <redacted> y");
  CHECK(redact_secrets("x pw1234 y pw12", {"pw1234", "pw12"}) == "x <redacted> y <redacted>");
}

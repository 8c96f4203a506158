// Reading AWS answers: entity decoding (correct and linear), S3 error documents behind a 200,
// and the one-line error.
#include <catch2/catch.hpp>

#include <chrono>

#include "exporter/aws/aws_response.hpp"

using namespace kci::aws;

TEST_CASE("aws_response: the predefined entities and character references are decoded") {
  CHECK(xml_decode("a&amp;b&lt;c&gt;d&quot;e&apos;f") == "a&b<c>d\"e'f");
  CHECK(xml_decode("&#38;&#x26;&#X26;") == "&&&");
  CHECK(xml_decode("caf&#233; &#x1F642;") == "caf\xC3\xA9 \xF0\x9F\x99\x82");
  CHECK(xml_decode("line&#13;&#10;break") == "line\r\nbreak");
}

TEST_CASE("aws_response: what is not an entity is kept as written") {
  CHECK(xml_decode("&") == "&");
  CHECK(xml_decode("a & b") == "a & b");
  CHECK(xml_decode("&unknown;") == "&unknown;");
  CHECK(xml_decode("&#0;&#xD800;&#x110000;&#;&#x;&#12a;") == "&#0;&#xD800;&#x110000;&#;&#x;&#12a;");
  CHECK(xml_decode("&amp") == "&amp");
  CHECK(xml_decode("&&amp;;") == "&&;");
  // A ';' further away than the longest entity does not make one.
  CHECK(xml_decode("&averyveryverylongname;") == "&averyveryverylongname;");
}

TEST_CASE("aws_response: xml_values finds every element's text") {
  const std::string xml =
      "<ListBucketResult><Contents><Key>a&amp;b</Key></Contents><Contents><Key>c</Key>"
      "</Contents><IsTruncated>false</IsTruncated></ListBucketResult>";
  CHECK(xml_values(xml, "Key") == std::vector<std::string>{"a&b", "c"});
  CHECK(xml_values(xml, "IsTruncated") == std::vector<std::string>{"false"});
  CHECK(xml_values(xml, "Missing").empty());
  CHECK(xml_values("<Key>unclosed", "Key").empty());
}

// The old decoder searched the rest of the text for ';' at every '&' and copied what lay
// between: quadratic. These bodies take hours that way; the checks are on the output, and the
// time is only reported.
TEST_CASE("aws_response: decoding is linear on entity-heavy text (10 MB)") {
  struct Case {
    const char* name;
    std::string text;
    std::size_t want_size;
  };
  const std::size_t n = 2'000'000;
  std::string amps;
  for (std::size_t i = 0; i < n; ++i) amps += "&amp;";
  std::vector<Case> cases;
  cases.push_back({"&amp; x 2M", amps, n});
  const std::size_t ten_million = 10'000'000;
  const std::string ampersands(ten_million, '&');
  cases.push_back({"'&' x 10M, no ';'", ampersands, ten_million});
  cases.push_back({"'&' x 10M then ';'", ampersands + ";", ten_million + 1});
  for (const auto& c : cases) {
    INFO(c.name);
    const std::string xml = "<Key>" + c.text + "</Key>";
    const auto t0 = std::chrono::steady_clock::now();
    auto values = xml_values(xml, "Key");
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    REQUIRE(values.size() == 1);
    CHECK(values[0].size() == c.want_size);
    CHECK(values[0].find_first_not_of(c.want_size == n ? "&" : "&;") == std::string::npos);
    WARN("xml_values on " << c.name << " (" << xml.size() << " bytes): " << ms << " ms");
  }
}

TEST_CASE("aws_response: an <Error> document is an error whatever the status") {
  const std::string err =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
      "<Message>We encountered an internal error. Please try again.</Message></Error>";
  CHECK(is_error_document(err));
  CHECK(is_error_document("  <Error><Code>X</Code></Error>"));
  CHECK(is_error_document("\xEF\xBB\xBF<Error xmlns=\"x\"><Code>X</Code></Error>"));
  CHECK_FALSE(is_error_document(""));
  CHECK_FALSE(
      is_error_document("<CompleteMultipartUploadResult><Code>x</Code>"
                        "</CompleteMultipartUploadResult>"));
  CHECK_FALSE(is_error_document("<?xml version=\"1.0\"?><ErrorsAreFine/>"));
  CHECK(answer_error({200, err, "", ""}) ==
        "InternalError: We encountered an internal error. Please try again. (HTTP 200)");
  CHECK(answer_error({200, "<CompleteMultipartUploadResult/>", "", ""}).empty());
  CHECK(answer_error({204, "", "", ""}, {204, 200}).empty());
  CHECK(answer_error({404, "<Error><Code>NoSuchUpload</Code></Error>", "", ""}) ==
        "NoSuchUpload (HTTP 404)");
  CHECK(answer_error({503, "busy", "", ""}) == "HTTP 503: busy");
}

TEST_CASE("aws_response: error_line stays one line") {
  Response r{400, "<Error><Code>Bad\nCode</Code><Message>multi\nline\r\nmessage</Message></Error>",
             "", ""};
  CHECK(error_line(r) == "Bad Code: multi line  message (HTTP 400)");
  Response json{400, R"({"__type":"com.amazon#ResourceNotFoundException","message":"no such"})", "",
                ""};
  CHECK(error_line(json) == "ResourceNotFoundException: no such (HTTP 400)");
}

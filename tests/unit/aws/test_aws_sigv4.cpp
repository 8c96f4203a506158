// SigV4 against AWS's published signatures: the SigV4 test suite's get-vanilla family
// (AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service") and the S3 documentation's
// GET-object, list-objects and PUT-object examples (AKIAIOSFODNN7EXAMPLE, 20130524T000000Z).
#include <catch2/catch.hpp>

#include "exporter/aws/sigv4.hpp"

using namespace kci::aws;

namespace {

std::string signature_of(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

const Credentials k_suite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}};
const Credentials k_s3doc{
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", {}};
const std::string k_empty = sha256_hex("");

RequestToSign suite_get(Pairs query) {
  return {"GET",
          "/",
          std::move(query),
          {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
          k_empty};
}

}  // namespace

TEST_CASE("sigv4: test suite get-vanilla") {
  auto auth = authorization(suite_get({}), k_suite, "us-east-1", "service", "20150830T123600Z");
  CHECK(auth ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: test suite get-vanilla-query-order-key-case") {
  auto auth = authorization(suite_get({{"Param2", "value2"}, {"Param1", "value1"}}), k_suite,
                            "us-east-1", "service", "20150830T123600Z");
  CHECK(signature_of(auth) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST_CASE("sigv4: test suite get-vanilla canonical request") {
  std::string signed_headers;
  CHECK(canonical_request(suite_get({}), signed_headers) ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
            k_empty);
  CHECK(sha256_hex(canonical_request(suite_get({}), signed_headers)) ==
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

TEST_CASE("sigv4: S3 documentation GET object example") {
  RequestToSign r{"GET",
                  "/test.txt",
                  {},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Range", "bytes=0-9"},
                   {"x-amz-content-sha256", k_empty},
                   {"x-amz-date", "20130524T000000Z"}},
                  k_empty};
  CHECK(signature_of(authorization(r, k_s3doc, "us-east-1", "s3", "20130524T000000Z")) ==
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: S3 documentation list objects example (query)") {
  RequestToSign r{"GET",
                  "/",
                  {{"max-keys", "2"}, {"prefix", "J"}},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"x-amz-content-sha256", k_empty},
                   {"x-amz-date", "20130524T000000Z"}},
                  k_empty};
  CHECK(signature_of(authorization(r, k_s3doc, "us-east-1", "s3", "20130524T000000Z")) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("sigv4: S3 documentation PUT object example (encoded key, payload hash)") {
  const std::string body_hash = sha256_hex("Welcome to Amazon S3.");
  CHECK(body_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  RequestToSign r{"PUT",
                  "/" + uri_encode("test$file.text", false),
                  {},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"x-amz-content-sha256", body_hash},
                   {"x-amz-date", "20130524T000000Z"},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                  body_hash};
  auto auth = authorization(r, k_s3doc, "us-east-1", "s3", "20130524T000000Z");
  CHECK(auth.find("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class") !=
        std::string::npos);
  CHECK(signature_of(auth) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4: encoding rules") {
  CHECK(uri_encode("a b+c/d~e", false) == "a%20b%2Bc/d~e");
  CHECK(uri_encode("a/b", true) == "a%2Fb");
  CHECK(uri_encode("café", true) == "caf%C3%A9");
  CHECK(canonical_query({{"b", "2"}, {"a", "x y"}, {"A", "0"}}) == "A=0&a=x%20y&b=2");
  CHECK(amz_date(1369353600) == "20130524T000000Z");
}

// The S3 calls against an in-process server that lies: 200 with an <Error> body on PutObject,
// UploadPart and CompleteMultipartUpload, a continuation token that never changes, an UploadPart
// without an ETag. (Signatures are checked end to end against botocore in tests/e2e.)
#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <map>

#include "exporter/aws/s3.hpp"
#include "local_http_server.hpp"

using namespace kci;
using namespace kci::aws;
using kci::test::LocalServer;

namespace {

const char* k_error_200 =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We "
    "encountered an internal error. Please try again.</Message></Error>";

struct S3Fixture {
  LocalServer server;
  std::unique_ptr<Client> client;
  std::unique_ptr<CredentialChain> chain;
  std::unique_ptr<S3> s3;
  void start() {
    server.start();
    client = std::make_unique<Client>(
        Endpoints{"us-east-1", "http://127.0.0.1:" + std::to_string(server.port), "", ""},
        ClientOptions{});
    chain = std::make_unique<CredentialChain>(
        *client,
        [](const std::string& name) -> std::optional<std::string> {
          if (name == "AWS_ACCESS_KEY_ID") return "AKIDEXAMPLE";
          if (name == "AWS_SECRET_ACCESS_KEY") return "secret";
          return std::nullopt;
        },
        "");
    s3 = std::make_unique<S3>(*client, *chain);
  }
};

}  // namespace

TEST_CASE("s3: a 200 with an <Error> body fails PutObject, UploadPart and Complete") {
  S3Fixture f;
  f.server.server.Put("/b/k", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("ETag", "\"abc\"");
    res.set_content(k_error_200, "application/xml");
  });
  f.server.server.Post("/b/k", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(k_error_200, "application/xml");
  });
  f.start();
  const std::string want =
      ": InternalError: We encountered an internal error. Please try again. (HTTP 200)";
  auto put = f.s3->put_object("b", "k", "body");
  REQUIRE_FALSE(put.ok());
  CHECK(put.failure().reason == FailureReason::aws);
  CHECK(put.failure().message == "s3:PutObject s3://b/k" + want);
  auto part = f.s3->upload_part("b", "k", "id", 1, "body");
  REQUIRE_FALSE(part.ok());
  CHECK(part.failure().message == "s3:UploadPart s3://b/k" + want);
  auto complete = f.s3->complete_multipart_upload("b", "k", "id", {"\"abc\""});
  REQUIRE_FALSE(complete.ok());
  CHECK(complete.failure().message == "s3:CompleteMultipartUpload s3://b/k" + want);
}

TEST_CASE("s3: an UploadPart answer without an ETag fails") {
  S3Fixture f;
  f.server.server.Put("/b/k",
                      [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  f.start();
  auto part = f.s3->upload_part("b", "k", "id", 3, "body");
  REQUIRE_FALSE(part.ok());
  CHECK(part.failure().message == "s3:UploadPart s3://b/k: part 3 answered no ETag");
}

TEST_CASE("s3: a continuation token that never changes costs two signed requests") {
  std::atomic<int> lists = 0;
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request&, httplib::Response& res) {
    ++lists;
    res.set_content(
        "<ListBucketResult><Contents><Key>account_id=1/x</Key></Contents><IsTruncated>true"
        "</IsTruncated><NextContinuationToken>same-token</NextContinuationToken>"
        "</ListBucketResult>",
        "application/xml");
  });
  f.start();
  auto keys = f.s3->list_keys("b", "account_id=1/");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message ==
        "s3:ListObjectsV2 s3://b/account_id=1/: continuation token \"same-token\" (page 2) was "
        "already used: the listing does not advance");
  CHECK(lists == 2);
}

TEST_CASE("s3: listing failures name the prefix") {
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                    "application/xml");
  });
  f.start();
  auto keys = f.s3->list_keys("b", "account_id=1/");
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message ==
        "s3:ListObjectsV2 s3://b/account_id=1/: AccessDenied: Access Denied (HTTP 403)");
}

TEST_CASE("s3: ETags are escaped in the CompleteMultipartUpload body") {
  std::string seen;
  S3Fixture f;
  f.server.server.Post("/b/k", [&](const httplib::Request& req, httplib::Response& res) {
    seen = req.body;
    res.set_content("<CompleteMultipartUploadResult/>", "application/xml");
  });
  f.start();
  REQUIRE(f.s3->complete_multipart_upload("b", "k", "id", {"\"a&b\"", "<x>"}).ok());
  CHECK(seen ==
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a&amp;b\"</ETag></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>&lt;x&gt;</ETag></Part></CompleteMultipartUpload>");
}

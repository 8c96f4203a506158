// The S3 calls against an in-process server that lies: 200 with an <Error> body on PutObject,
// UploadPart and CompleteMultipartUpload, a continuation token that never changes, an UploadPart
// without an ETag. (Signatures are checked end to end against botocore in tests/e2e.)
#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

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

TEST_CASE("s3: a PutObject or UploadPart 200 without an ETag header fails (issue 21 item A)") {
  S3Fixture f;
  f.server.server.Put("/b/k",
                      [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
  f.start();
  auto part = f.s3->upload_part("b", "k", "id", 3, "body");
  REQUIRE_FALSE(part.ok());
  CHECK(part.failure().reason == FailureReason::aws);
  CHECK(part.failure().message ==
        "s3:UploadPart s3://b/k: part 3 answered 200 without an ETag header");
  auto put = f.s3->put_object("b", "k", "body");
  REQUIRE_FALSE(put.ok());
  CHECK(put.failure().reason == FailureReason::aws);
  CHECK(put.failure().http_status == 200);
  CHECK(put.failure().message == "s3:PutObject s3://b/k: answered 200 without an ETag header");
}

namespace {

const char* k_complete_ok =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Location>http://127.0.0.1/b/k</Location><Bucket>b</Bucket><Key>k</Key>"
    "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
    "</CompleteMultipartUploadResult>";

}  // namespace

TEST_CASE(
    "s3: CompleteMultipartUpload succeeds only on a CompleteMultipartUploadResult for the key "
    "(issue 21 item A)") {
  struct Case {
    const char* name;
    std::string body;
    const char* why;  // "" when the answer is a success
  };
  const std::string result = k_complete_ok;
  const std::vector<Case> cases{
      {"S3's result, with the keep-alive spaces first", "\n   \n" + result, ""},
      {"an empty body", "", "the body is empty"},
      {"only keep-alive spaces: the answer was cut", "   \n  \n ", "the body is empty"},
      {"a proxy's HTML page", "<html><body><h1>200 OK</h1></body></html>",
       "the root element is not <CompleteMultipartUploadResult>"},
      {"another document", "<InitiateMultipartUploadResult/>",
       "the root element is not <CompleteMultipartUploadResult>"},
      {"the result cut short", result.substr(0, result.size() - 10),
       "the document does not end with </CompleteMultipartUploadResult>"},
      {"a result for another key",
       "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>other</Key><ETag>\"e\"</ETag>"
       "</CompleteMultipartUploadResult>",
       "the result's <Key> is another key"},
      {"a result without a key",
       "<CompleteMultipartUploadResult><Bucket>b</Bucket><ETag>\"e\"</ETag>"
       "</CompleteMultipartUploadResult>",
       "the result does not hold exactly one <Key>"},
      {"a result without an ETag",
       "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
       "</CompleteMultipartUploadResult>",
       "the result has no single <ETag>"},
      {"a result without a bucket",
       "<CompleteMultipartUploadResult><Key>k</Key><ETag>\"e\"</ETag>"
       "</CompleteMultipartUploadResult>",
       "the result has no single <Bucket>"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      S3Fixture f;
      f.server.server.Post("/b/k", [&](const httplib::Request&, httplib::Response& res) {
        res.set_content(c.body, "application/xml");
      });
      f.start();
      auto complete = f.s3->complete_multipart_upload("b", "k", "id", {"\"e\""});
      if (*c.why == '\0') {
        CHECK(complete.ok());
      } else {
        REQUIRE_FALSE(complete.ok());
        CHECK(complete.failure().reason == FailureReason::aws);
        CHECK(complete.failure().http_status == 200);
        CHECK(complete.failure().message ==
              std::string("s3:CompleteMultipartUpload s3://b/k: answered 200 without a "
                          "CompleteMultipartUploadResult for key \"k\" (") +
                  c.why + ")");
      }
    }
  }
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
    res.set_content(k_complete_ok, "application/xml");
  });
  f.start();
  REQUIRE(f.s3->complete_multipart_upload("b", "k", "id", {"\"a&b\"", "<x>"}).ok());
  CHECK(seen ==
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a&amp;b\"</ETag></Part>"
        "<Part><PartNumber>2</PartNumber><ETag>&lt;x&gt;</ETag></Part></CompleteMultipartUpload>");
}

namespace {

// The region an Authorization header's credential scope names (".../<date>/<region>/s3/...").
std::string signed_region(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  const auto scope = auth.find("Credential=");
  if (scope == std::string::npos) return "";
  const auto a = auth.find('/', scope);
  const auto b = auth.find('/', a + 1);
  const auto c = auth.find('/', b + 1);
  return auth.substr(b + 1, c - b - 1);
}

}  // namespace

TEST_CASE("s3: a bucket in another region: 400 AuthorizationHeaderMalformed <Region> (item 4)") {
  std::vector<std::string> regions;
  std::mutex mutex;
  S3Fixture f;
  auto handler = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    regions.push_back(signed_region(req));
    if (regions.back() != "eu-west-1") {
      res.status = 400;
      res.set_content(
          "<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is "
          "malformed; the region '" +
              regions.back() +
              "' is wrong; expecting 'eu-west-1'</Message><Region>eu-west-1</Region></Error>",
          "application/xml");
      return;
    }
    res.set_header("ETag", "\"e\"");
    res.set_content("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                    "application/xml");
  };
  f.server.server.Get("/b/", handler);
  f.server.server.Put("/b/k", handler);
  f.start();
  REQUIRE(f.s3->list_keys("b", "p/").ok());
  REQUIRE(f.s3->put_object("b", "k", "body").ok());
  // One refused request, then every request signed for the bucket's region (remembered).
  CHECK(regions == std::vector<std::string>{"us-east-1", "eu-west-1", "eu-west-1"});
}

TEST_CASE("s3: a bucket in another region: 301 PermanentRedirect with x-amz-bucket-region") {
  std::vector<std::string> regions;
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request& req, httplib::Response& res) {
    regions.push_back(signed_region(req));
    if (regions.back() != "ap-southeast-2") {
      res.status = 301;
      res.set_header("x-amz-bucket-region", "ap-southeast-2");
      res.set_content(
          "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
          "must be addressed using the specified endpoint. Please send all future requests to "
          "this endpoint.</Message><Endpoint>b.s3.ap-southeast-2.amazonaws.com</Endpoint>"
          "<Bucket>b</Bucket></Error>",
          "application/xml");
      return;
    }
    res.set_content("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                    "application/xml");
  });
  f.start();
  REQUIRE(f.s3->list_keys("b", "p/").ok());
  CHECK(regions == std::vector<std::string>{"us-east-1", "ap-southeast-2"});
}

TEST_CASE("s3: a bodiless 400 with x-amz-bucket-region (a HEAD's answer) is followed too") {
  std::vector<std::string> regions;
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request& req, httplib::Response& res) {
    regions.push_back(signed_region(req));
    if (regions.back() != "eu-central-1") {
      res.status = 400;
      res.set_header("x-amz-bucket-region", "eu-central-1");
      return;
    }
    res.set_content("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                    "application/xml");
  });
  f.start();
  REQUIRE(f.s3->list_keys("b", "p/").ok());
  CHECK(regions == std::vector<std::string>{"us-east-1", "eu-central-1"});
}

TEST_CASE("s3: a region answer is followed once; a second one is the failure") {
  int calls = 0;
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 301;
    res.set_header("x-amz-bucket-region", calls == 1 ? "eu-west-1" : "eu-west-2");
    res.set_content("<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message></Error>",
                    "application/xml");
  });
  f.start();
  auto keys = f.s3->list_keys("b", "p/");
  REQUIRE_FALSE(keys.ok());
  CHECK(calls == 2);
  CHECK(keys.failure().message ==
        "s3:ListObjectsV2 s3://b/p/: PermanentRedirect: elsewhere (HTTP 301); the bucket is in "
        "eu-west-2, requests were signed for eu-west-1");
}

TEST_CASE("s3: writes are conditional (If-None-Match: *); 412 is 'already present' (item 5)") {
  std::vector<std::string> conditions;
  S3Fixture f;
  f.server.server.Put("/b/k", [&](const httplib::Request& req, httplib::Response& res) {
    conditions.push_back("put " + req.get_header_value("If-None-Match"));
    res.status = 412;
    res.set_content(
        "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you "
        "specified did not hold</Message><Condition>If-None-Match</Condition></Error>",
        "application/xml");
  });
  f.server.server.Post("/b/k", [&](const httplib::Request& req, httplib::Response& res) {
    const bool create = req.has_param("uploads");
    conditions.push_back(std::string(create ? "create " : "complete ") +
                         req.get_header_value("If-None-Match"));
    if (create) {
      res.set_content(
          "<InitiateMultipartUploadResult><UploadId>u</UploadId>"
          "</InitiateMultipartUploadResult>",
          "application/xml");
      return;
    }
    res.status = 412;
    res.set_content("<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>",
                    "application/xml");
  });
  f.start();
  auto put = f.s3->put_object("b", "k", "body");
  REQUIRE_FALSE(put.ok());
  CHECK(put.failure().reason == FailureReason::aws);
  CHECK(put.failure().http_status == 412);
  REQUIRE(f.s3->create_multipart_upload("b", "k").ok());
  auto complete = f.s3->complete_multipart_upload("b", "k", "u", {"\"e\""});
  REQUIRE_FALSE(complete.ok());
  CHECK(complete.failure().http_status == 412);
  // S3 takes If-None-Match on PutObject and CompleteMultipartUpload, not on the create.
  CHECK(conditions == std::vector<std::string>{"put *", "create ", "complete *"});
}

TEST_CASE("s3: CreateMultipartUpload is never retried; PutObject is (item 10)") {
  std::atomic<int> creates = 0, puts = 0;
  S3Fixture f;
  f.server.server.Post("/b/k", [&](const httplib::Request&, httplib::Response& res) {
    ++creates;
    res.status = 500;
    res.set_content("<Error><Code>InternalError</Code><Message>oops</Message></Error>",
                    "application/xml");
  });
  f.server.server.Put("/b/k", [&](const httplib::Request&, httplib::Response& res) {
    if (++puts == 1) {
      res.status = 503;
      res.set_content("<Error><Code>SlowDown</Code></Error>", "application/xml");
      return;
    }
    res.set_header("ETag", "\"e\"");
  });
  f.start();
  auto created = f.s3->create_multipart_upload("b", "k");
  REQUIRE_FALSE(created.ok());
  CHECK(created.failure().message ==
        "s3:CreateMultipartUpload s3://b/k: InternalError: oops (HTTP 500)");
  CHECK(creates == 1);
  REQUIRE(f.s3->put_object("b", "k", "body").ok());
  CHECK(puts == 2);
}

// A key of another account, region or month would otherwise mark a day as already in S3
// (aws/s3_listing.hpp page_outside_prefix; ListObjectsV2 "Limits the response to keys that
// begin with the specified prefix").
TEST_CASE("s3: a listing page with keys outside the requested prefix fails") {
  std::string body;
  S3Fixture f;
  f.server.server.Get("/b/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(body, "application/xml");
  });
  f.start();
  const std::string prefix = "account_id=111122223333/region=us-east-1/year=2026/month=11/";
  body = "<ListBucketResult><Prefix>" + prefix + "</Prefix><Contents><Key>" + prefix +
         "2026-11-01_c.snappy.parquet</Key></Contents><Contents><Key>account_id=999999999999/"
         "region=us-east-1/year=2026/month=11/2026-11-02_c.snappy.parquet</Key></Contents>"
         "<IsTruncated>false</IsTruncated></ListBucketResult>";
  auto keys = f.s3->list_keys("b", prefix);
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().reason == FailureReason::parse);
  CHECK(keys.failure().message ==
        "s3:ListObjectsV2 s3://b/" + prefix +
            ": the page lists the key \"account_id=999999999999/region=us-east-1/year=2026/"
            "month=11/2026-11-02_c.snappy.parquet\", outside the requested prefix \"" +
            prefix + "\": nothing is uploaded");

  body =
      "<ListBucketResult><Prefix>account_id=</Prefix><IsTruncated>false</IsTruncated>"
      "</ListBucketResult>";
  keys = f.s3->list_keys("b", prefix);
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.failure().message == "s3:ListObjectsV2 s3://b/" + prefix +
                                      ": the page is the listing of prefix \"account_id=\", not "
                                      "of the requested prefix \"" +
                                      prefix + "\": nothing is uploaded");

  body = "<ListBucketResult><Prefix>" + prefix + "</Prefix><Contents><Key>" + prefix +
         "2026-11-01_c.snappy.parquet</Key></Contents><IsTruncated>false</IsTruncated>"
         "</ListBucketResult>";
  keys = f.s3->list_keys("b", prefix);
  REQUIRE(keys.ok());
  CHECK(keys.value() == std::vector<std::string>{prefix + "2026-11-01_c.snappy.parquet"});
}

TEST_CASE("s3: addressing: virtual-hosted, path-style for dotted names and custom endpoints") {
  // A plain name: virtual-hosted; the path (the SigV4 canonical URI) is the key alone.
  auto a = s3_address("", "my-bucket", "k/x.parquet", "eu-west-1");
  CHECK(a.base_url == "https://my-bucket.s3.eu-west-1.amazonaws.com");
  CHECK(a.path == "/k/x.parquet");
  CHECK(s3_address("", "my-bucket", "", "eu-west-1").path == "/");
  // A dotted name: *.s3.<region>.amazonaws.com cannot match it: path-style, the bucket in the
  // path and so in the canonical URI (botocore utils.py check_dns_name; aws/s3.hpp).
  a = s3_address("", "my.bucket.example", "k/x.parquet", "eu-west-1");
  CHECK(a.base_url == "https://s3.eu-west-1.amazonaws.com");
  CHECK(a.path == "/my.bucket.example/k/x.parquet");
  CHECK(s3_address("", "my.bucket", "", "us-east-1").path == "/my.bucket/");
  // After a region answer the next attempt is addressed for the bucket's region.
  CHECK(s3_address("", "my.bucket", "k", "ap-southeast-2").base_url ==
        "https://s3.ap-southeast-2.amazonaws.com");
  // China regions are under amazonaws.com.cn (botocore data/endpoints.json: the aws-cn
  // partition's dnsSuffix).
  CHECK(s3_address("", "my-bucket", "k", "cn-north-1").base_url ==
        "https://my-bucket.s3.cn-north-1.amazonaws.com.cn");
  CHECK(s3_address("", "my.bucket", "k", "cn-northwest-1").base_url ==
        "https://s3.cn-northwest-1.amazonaws.com.cn");
  CHECK(s3_address("", "my-bucket", "k", "us-gov-west-1").base_url ==
        "https://my-bucket.s3.us-gov-west-1.amazonaws.com");
  // A custom endpoint: always path-style.
  a = s3_address("http://127.0.0.1:9000", "my-bucket", "k", "cn-north-1");
  CHECK(a.base_url == "http://127.0.0.1:9000");
  CHECK(a.path == "/my-bucket/k");
}

TEST_CASE("s3: a dotted bucket is signed path-style and follows a region answer") {
  // Against a custom endpoint (the only one a test can reach) every bucket is path-style; the
  // dotted name must reach the path and the signature alike, and the redirect still works.
  std::vector<std::string> regions, paths;
  S3Fixture f;
  f.server.server.Get("/my.bucket/", [&](const httplib::Request& req, httplib::Response& res) {
    regions.push_back(signed_region(req));
    paths.push_back(req.path);
    if (regions.back() != "eu-central-1") {
      res.status = 301;
      res.set_header("x-amz-bucket-region", "eu-central-1");
      res.set_content("<Error><Code>PermanentRedirect</Code><Message>m</Message></Error>",
                      "application/xml");
      return;
    }
    res.set_content("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                    "application/xml");
  });
  f.start();
  REQUIRE(f.s3->list_keys("my.bucket", "p/").ok());
  CHECK(regions == std::vector<std::string>{"us-east-1", "eu-central-1"});
  CHECK(paths == std::vector<std::string>{"/my.bucket/", "/my.bucket/"});
}

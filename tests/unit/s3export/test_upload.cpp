#include <catch2/catch.hpp>

#include <fstream>

#include "exporter/s3export/upload.hpp"
#include "s3export/s3export_fakes.hpp"

using namespace kci;
using namespace kci::test;

namespace {

std::string write_file(const TempDir& dir, const std::string& body) {
  std::string path = dir.path() + "/day.parquet";
  std::ofstream(path, std::ios::binary) << body;
  return path;
}

const std::string k_body = "0123456789abcdefghijKLMNO";  // 25 bytes
const std::string k_key = "account_id=1/region=r/year=2024/month=03/2024-03-16_c.snappy.parquet";

}  // namespace

TEST_CASE("upload: up to the threshold one PUT of the whole file, no multipart") {
  TempDir dir;
  MemoryStore store;
  const std::string path = write_file(dir, k_body);
  REQUIRE(upload_file(store, k_key, path, k_body.size(), {k_body.size(), 10}).ok());
  CHECK(store.calls == std::vector<std::string>{"put " + k_key});
  CHECK(store.objects.at(k_key) == k_body);
}

TEST_CASE("upload: above the threshold a multipart upload of min_part_size parts") {
  TempDir dir;
  MemoryStore store;
  const std::string path = write_file(dir, k_body);
  REQUIRE(upload_file(store, k_key, path, k_body.size(), {k_body.size() - 1, 10}).ok());
  const std::vector<std::string> want = {
      "create " + k_key,
      "part " + k_key + " upload-1 1 10",
      "part " + k_key + " upload-1 2 10",
      "part " + k_key + " upload-1 3 5",
      "complete " + k_key + " upload-1 etag-1,etag-2,etag-3",
  };
  CHECK(store.calls == want);
  CHECK(store.objects.at(k_key) == k_body);
  CHECK(store.uploads.empty());
}

TEST_CASE("upload: a file ending on a part boundary sends no empty last part") {
  TempDir dir;
  MemoryStore store;
  const std::string body = k_body.substr(0, 20);
  const std::string path = write_file(dir, body);
  REQUIRE(upload_file(store, k_key, path, body.size(), {0, 10}).ok());
  CHECK(store.calls_of("part").size() == 2);
  CHECK(store.calls_of("complete") ==
        std::vector<std::string>{"complete " + k_key + " upload-1 etag-1,etag-2"});
  CHECK(store.objects.at(k_key) == body);
}

TEST_CASE("upload: part size is the minimum until 9 000 parts would not hold the file") {
  CHECK(part_size_for(0, k_min_part_size) == k_min_part_size);
  CHECK(part_size_for(64ULL << 20, k_min_part_size) == k_min_part_size);
  CHECK(part_size_for(9000ULL * (8u << 20), k_min_part_size) == k_min_part_size + 1);
  const std::uint64_t huge = 200ULL << 30;  // 200 GiB
  const std::size_t part = part_size_for(huge, k_min_part_size);
  CHECK(part == huge / 9000 + 1);
  CHECK((huge + part - 1) / part <= 9000);
}

TEST_CASE("upload: a failed part aborts the upload; nothing appears under the key") {
  TempDir dir;
  MemoryStore store;
  store.fail_part = 2;
  const std::string path = write_file(dir, k_body);
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::aws);
  CHECK(r.failure().message == "s3:UploadPart: SlowDown");
  const std::vector<std::string> want = {
      "create " + k_key,
      "part " + k_key + " upload-1 1 10",
      "part " + k_key + " upload-1 2 10",
      "abort " + k_key + " upload-1",
  };
  CHECK(store.calls == want);
  CHECK(store.objects.empty());
  CHECK(store.uploads.empty());
}

TEST_CASE("upload: a failed complete aborts the upload") {
  TempDir dir;
  MemoryStore store;
  store.complete_failure = Failure{FailureReason::aws, "s3:CompleteMultipartUpload: InternalError"};
  const std::string path = write_file(dir, k_body);
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message == "s3:CompleteMultipartUpload: InternalError");
  CHECK(store.calls.back() == "abort " + k_key + " upload-1");
  CHECK(store.objects.empty());
}

TEST_CASE("upload: a failed create has nothing to abort") {
  TempDir dir;
  MemoryStore store;
  store.create_failure = Failure{FailureReason::credentials, "no AWS credentials"};
  const std::string path = write_file(dir, k_body);
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::credentials);
  CHECK(store.calls == std::vector<std::string>{"create " + k_key});
}

TEST_CASE("upload: the upload's failure is returned when the abort fails too, and logged") {
  TempDir dir;
  MemoryStore store;
  store.fail_part = 1;
  store.abort_failure = Failure{FailureReason::aws, "s3:AbortMultipartUpload: AccessDenied"};
  const std::string path = write_file(dir, k_body);
  LogCapture logs;
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message == "s3:UploadPart: SlowDown");
  CHECK(logs.lines_with({"level=warn", "s3 multipart abort failed",
                         "object=\"s3://mem-bucket/" + k_key + "\"", "AccessDenied"})
            .size() == 1);
}

TEST_CASE("upload: an unreadable file is an io failure; a started multipart upload is aborted") {
  TempDir dir;
  MemoryStore store;
  const std::string missing = dir.path() + "/missing.parquet";
  auto single = upload_file(store, k_key, missing, 10, {100, 10});
  REQUIRE_FALSE(single.ok());
  CHECK(single.failure().reason == FailureReason::io);
  CHECK(store.calls.empty());
  auto multi = upload_file(store, k_key, missing, 10, {0, 10});
  REQUIRE_FALSE(multi.ok());
  CHECK(multi.failure().reason == FailureReason::io);
  CHECK(store.calls == std::vector<std::string>{"create " + k_key, "abort " + k_key + " upload-1"});
}

TEST_CASE("upload: a failed single PUT is returned as is") {
  TempDir dir;
  MemoryStore store;
  store.put_failure = Failure{FailureReason::aws, "s3:PutObject: BadDigest", 400};
  const std::string path = write_file(dir, k_body);
  auto r = upload_file(store, k_key, path, k_body.size(), {100, 10});
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message == "s3:PutObject: BadDigest");
  CHECK(r.failure().http_status == 400);
  CHECK(store.objects.empty());
}

TEST_CASE("upload: a cancellation between parts stops before the next one and aborts") {
  TempDir dir;
  MemoryStore store;
  Cancellation cancel;
  store.on_part = [&](int number) -> std::optional<Failure> {
    if (number == 1) cancel.cancel("interrupted by SIGTERM");  // arrives while part 1 is sent
    return std::nullopt;
  };
  const std::string path = write_file(dir, k_body);
  LogCapture logs;
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10}, cancel);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::cancelled);
  CHECK(r.failure().message ==
        "upload of s3://mem-bucket/" + k_key + " stopped before part 2: interrupted by SIGTERM");
  const std::vector<std::string> want = {"create " + k_key, "part " + k_key + " upload-1 1 10",
                                         "abort " + k_key + " upload-1"};
  CHECK(store.calls == want);
  CHECK(store.uploads.empty());
  CHECK(store.objects.empty());
  CHECK(logs.lines_with({"s3 multipart upload aborted", "reason=cancelled"}).size() == 1);
}

TEST_CASE("upload: a part cut by the cancellation in flight is aborted too") {
  TempDir dir;
  MemoryStore store;
  Cancellation cancel;
  store.on_part = [&](int number) -> std::optional<Failure> {
    if (number != 2) return std::nullopt;
    cancel.cancel("interrupted by SIGTERM");
    return Failure{FailureReason::cancelled, "s3:UploadPart: cancelled: interrupted by SIGTERM"};
  };
  const std::string path = write_file(dir, k_body);
  auto r = upload_file(store, k_key, path, k_body.size(), {0, 10}, cancel);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::cancelled);
  CHECK(store.calls_of("abort") == std::vector<std::string>{"abort " + k_key + " upload-1"});
  CHECK(store.calls_of("complete").empty());
  CHECK(store.objects.empty());
}

TEST_CASE("upload: cancelled before it begins: nothing is sent") {
  TempDir dir;
  MemoryStore store;
  Cancellation cancel;
  cancel.cancel("the run took longer than s3ExportRunTimeout=45m");
  const std::string path = write_file(dir, k_body);
  for (std::uint64_t threshold : {std::uint64_t{0}, std::uint64_t{100}}) {
    auto r = upload_file(store, k_key, path, k_body.size(), {threshold, 10}, cancel);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::cancelled);
  }
  CHECK(store.calls.empty());
}

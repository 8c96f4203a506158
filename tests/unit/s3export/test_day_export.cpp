#include <catch2/catch.hpp>

#include "exporter/s3export/day_export.hpp"
#include "s3export/s3export_fakes.hpp"

using namespace kci;
using namespace kci::test;

namespace {

constexpr std::int64_t k_day = 19798;  // 2024-03-16
const std::string k_key =
    "account_id=1/region=r/year=2024/month=03/2024-03-16_eks-test.snappy.parquet";

DayExportSettings settings(const TempDir& dir) {
  DayExportSettings s;
  s.cluster = {"us-east-1", "arn:aws:eks:us-east-1:111122223333:cluster/eks-test", "eks-test"};
  s.label_keys = {"team"};
  s.work_dir = dir.path();
  s.upload = {16ULL << 20, 1024};
  return s;
}

FakeAllocation alloc(const std::string& name, double cost) {
  FakeAllocation a;
  a.name = name;
  a.total_cost = cost;
  a.window_start = k_day * 86400.0;
  a.window_end = k_day * 86400.0 + 3600;
  a.labels = {"platform"};
  return a;
}

}  // namespace

TEST_CASE("day export: the day's allocations become one Parquet object under the key") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.day[k_day] = {alloc("a", 1.25), alloc("b", 2.5), alloc("c", NAN)};
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().rows == 3);
  CHECK(r.value().total_cost == 3.75);  // the NULL total is skipped, not NaN
  CHECK(store.calls == std::vector<std::string>{"put " + k_key});
  const std::string& object = store.objects.at(k_key);
  CHECK(r.value().bytes == object.size());
  CHECK(object.substr(0, 4) == "PAR1");
  CHECK(object.substr(object.size() - 4) == "PAR1");
  CHECK(kubecost.allocations_asked == std::vector<std::int64_t>{k_day});
  CHECK(dir.files().empty());
}

TEST_CASE("day export: above the threshold the file goes up in parts") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  for (int i = 0; i < 50; ++i)
    kubecost.day[k_day].push_back(alloc("alloc-" + std::to_string(i), i));
  auto s = settings(dir);
  s.upload = {0, 1024};
  DayExporter exporter(s, kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  const auto parts = store.calls_of("part");
  CHECK(parts.size() == (r.value().bytes + 1023) / 1024);
  CHECK(parts.size() >= 2);
  CHECK(store.calls_of("complete").size() == 1);
  CHECK(store.calls_of("put").empty());
  CHECK(store.objects.at(k_key).size() == r.value().bytes);
  CHECK(dir.files().empty());
}

TEST_CASE("day export: a failed part aborts the upload and removes the temporary file") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  for (int i = 0; i < 50; ++i)
    kubecost.day[k_day].push_back(alloc("alloc-" + std::to_string(i), i));
  store.fail_part = 2;
  auto s = settings(dir);
  s.upload = {0, 1024};
  DayExporter exporter(s, kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::aws);
  CHECK(store.calls_of("abort") == std::vector<std::string>{"abort " + k_key + " upload-1"});
  CHECK(store.calls_of("complete").empty());
  CHECK(store.objects.empty());
  CHECK(store.uploads.empty());
  CHECK(dir.files().empty());
}

TEST_CASE("day export: a day without allocations writes and uploads nothing") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().rows == 0);
  CHECK(r.value().bytes == 0);
  CHECK(store.calls.empty());
  CHECK(dir.files().empty());
}

TEST_CASE("day export: Kubecost failures keep their reason and say which query failed") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.day[k_day] = {alloc("a", 1)};
  DayExporter exporter(settings(dir), kubecost, store);

  kubecost.asset_failures.emplace(k_day, Failure{FailureReason::timeout, "deadline 30s", 0});
  auto assets = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(assets.ok());
  CHECK(assets.failure().reason == FailureReason::timeout);
  CHECK(assets.failure().message == "assets: deadline 30s");
  CHECK(kubecost.allocations_asked.empty());  // the allocations are not asked for

  kubecost.asset_failures.clear();
  kubecost.allocation_failures.emplace(
      k_day, Failure{FailureReason::http_status, "Kubecost answered code 500", 500});
  auto allocations = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(allocations.ok());
  CHECK(allocations.failure().reason == FailureReason::http_status);
  CHECK(allocations.failure().message == "allocation: Kubecost answered code 500");
  CHECK(store.calls.empty());
  CHECK(dir.files().empty());
}

TEST_CASE("day export: an unwritable work directory is an io failure") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.day[k_day] = {alloc("a", 1)};
  auto s = settings(dir);
  s.work_dir = dir.path() + "/does-not-exist";
  DayExporter exporter(s, kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::io);
  CHECK(r.failure().message.starts_with("cannot write " + s.work_dir +
                                        "/2024-03-16_eks-test.parquet.part-"));
  CHECK(store.calls.empty());
}

TEST_CASE("day export: node facts are joined on (cluster, node)") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  NodeFacts a, b;
  a.instance_type = "m5.large-joined";
  b.instance_type = "c6g.xlarge-other-cluster";
  kubecost.nodes[{"cluster-one", "node-a"}] = a;
  kubecost.nodes[{"cluster-two", "node-b"}] = b;
  FakeAllocation on_a = alloc("on-a", 1), on_b = alloc("on-b", 1);
  on_b.node = "node-b";  // same node name, but in cluster-one: no facts
  kubecost.day[k_day] = {on_a, on_b};
  auto s = settings(dir);
  s.codec = parquet::Codec::uncompressed;  // so the file's strings can be looked for
  DayExporter exporter(s, kubecost, store);
  REQUIRE(exporter.export_day(k_day, k_key).ok());
  const std::string& object = store.objects.at(k_key);
  CHECK(object.find("m5.large-joined") != std::string::npos);
  CHECK(object.find("c6g.xlarge-other-cluster") == std::string::npos);
  CHECK(object.find("arn:aws:eks:us-east-1:111122223333:cluster/eks-test") != std::string::npos);
  CHECK(object.find("platform") != std::string::npos);
}

TEST_CASE("day export: cancelled during the upload: aborted, no object, no file left") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  Cancellation cancel;
  for (int i = 0; i < 50; ++i)
    kubecost.day[k_day].push_back(alloc("alloc-" + std::to_string(i), i));
  DayExportSettings s = settings(dir);
  s.upload = {0, 1024};
  std::vector<std::string> files_during_upload;
  store.on_part = [&](int) -> std::optional<Failure> {
    files_during_upload = dir.files();
    cancel.cancel("interrupted by SIGTERM");
    return Failure{FailureReason::cancelled, "s3:UploadPart: cancelled: interrupted by SIGTERM"};
  };
  DayExporter exporter(s, kubecost, store, cancel);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::cancelled);
  CHECK(files_during_upload.size() == 1);  // the file existed while the part was in flight
  CHECK(store.calls_of("abort").size() == 1);
  CHECK(store.objects.empty());
  CHECK(dir.files().empty());
}

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

TEST_CASE("day export: an Allocation failure keeps its reason and says which query failed") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.day[k_day] = {alloc("a", 1)};
  DayExporter exporter(settings(dir), kubecost, store);
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

TEST_CASE(
    "day export: an hourly day answered in whole-day sets fails, naming the set; nothing up") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  // What the ETL /model/allocation answers for step=1h windows older than 49 h.
  FakeAllocation whole = alloc("a", 1);
  whole.window_end = (k_day + 1) * 86400.0;
  whole.set_index = 0;
  kubecost.day[k_day] = {alloc("first", 1), whole};
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message ==
        "allocation: set 0 spans 2024-03-16T00:00:00Z..2024-03-17T00:00:00Z, want 1h sets inside "
        "2024-03-16");
  CHECK(store.calls.empty());
  CHECK(dir.files().empty());
}

TEST_CASE("day export: a set outside the day, or not 1 h long, is never written") {
  for (auto [start_shift, end_shift] :
       std::vector<std::pair<double, double>>{{-3600, -3600}, {86400, 86400}, {0, -1800}}) {
    INFO(start_shift << " " << end_shift);
    TempDir dir;
    FakeKubecost kubecost;
    MemoryStore store;
    FakeAllocation other = alloc("other", 1);
    other.window_start += start_shift;
    other.window_end += end_shift;
    kubecost.day[k_day] = {alloc("a", 1), other};
    DayExporter exporter(settings(dir), kubecost, store);
    auto r = exporter.export_day(k_day, k_key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::parse);
    CHECK_THAT(r.failure().message, Catch::Contains("want 1h sets inside 2024-03-16"));
    CHECK(store.calls.empty());
  }
}

TEST_CASE("day export: a daily export takes the one day set and refuses hourly sets") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  auto s = settings(dir);
  s.hourly = false;
  FakeAllocation day_set = alloc("a", 1);
  day_set.window_end = (k_day + 1) * 86400.0;
  kubecost.etl_day[k_day] = {day_set};
  DayExporter daily(s, kubecost, store);
  REQUIRE(daily.export_day(k_day, k_key).ok());
  CHECK(kubecost.allocations_asked.empty());  // daily: the ETL day only, never the On-Demand API
  kubecost.etl_day[k_day] = {alloc("hourly", 1)};
  store.objects.clear();
  store.calls.clear();
  auto r = daily.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message ==
        "allocation: set 0 spans 2024-03-16T00:00:00Z..2024-03-16T01:00:00Z, want the single day "
        "set 2024-03-16");
  CHECK(store.calls.empty());
}

TEST_CASE("day export: a row of another cluster fails the day; nothing is uploaded") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  auto s = settings(dir);
  s.kubecost_cluster = "cluster-one";
  FakeAllocation foreign = alloc("theirs", 1);
  foreign.cluster = "cluster-two";
  kubecost.day[k_day] = {alloc("ours", 1), foreign, alloc("ours-too", 1)};
  DayExporter exporter(s, kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message ==
        "allocation: allocation \"theirs\" is of cluster \"cluster-two\", want only "
        "\"cluster-one\" (KUBECOST_CLUSTER_ID)");
  CHECK(store.calls.empty());
  CHECK(dir.files().empty());
  kubecost.day[k_day] = {alloc("ours", 1)};
  CHECK(exporter.export_day(k_day, k_key).ok());
}

TEST_CASE("day export: the Assets API failing fills no node column from Assets, warns, exports") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.nodes[{"cluster-one", "node-a"}].instance_type = "m5.large";
  kubecost.asset_failures.emplace(k_day,
                                  Failure{FailureReason::parse, "assets response is not JSON"});
  kubecost.day[k_day] = {alloc("a", 1)};
  LogCapture logs;
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().assets_failed);
  CHECK(r.value().rows == 1);
  CHECK(store.objects.count(k_key) == 1);
  CHECK(store.objects.at(k_key).find("m5.large") == std::string::npos);
  CHECK(logs.lines_with({"level=warn", "Assets API failed", "day=2024-03-16",
                         "assets response is not JSON"})
            .size() == 1);
}

TEST_CASE("day export: without an Assets match, the node's labels on the allocation fill in") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.nodes[{"cluster-one", "node-a"}].instance_type = "m5.assets";
  FakeAllocation on_a = alloc("on-a", 1), on_b = alloc("on-b", 1);
  // After the configured label (team), one value per node_label_keys(): instance type, region,
  // zone, arch, os, EKS capacity type, ...
  on_a.labels = {"platform", "m5.labels-ignored"};
  on_b.node = "node-b";
  on_b.labels = {"platform", "c6g.from-labels", "us-east-1", "us-east-1b",
                 "arm64",    "linux",           "SPOT"};
  kubecost.day[k_day] = {on_a, on_b};
  auto s = settings(dir);
  s.codec = parquet::Codec::uncompressed;
  DayExporter exporter(s, kubecost, store);
  REQUIRE(exporter.export_day(k_day, k_key).ok());
  const std::string& object = store.objects.at(k_key);
  CHECK(object.find("m5.assets") != std::string::npos);  // the Assets answer wins
  CHECK(object.find("m5.labels-ignored") == std::string::npos);
  CHECK(object.find("c6g.from-labels") != std::string::npos);
  CHECK(object.find("us-east-1b") != std::string::npos);
  CHECK(object.find("SPOT") != std::string::npos);
}

namespace {

FakeAllocation hour_of(const std::string& name, int hour, double cost) {
  FakeAllocation a = alloc(name, cost);
  a.window_start = k_day * 86400.0 + hour * 3600.0;
  a.window_end = a.window_start + 3600;
  a.values = {{AllocField::cpu_cost, cost}, {AllocField::cpu_cost_adjustment, 0}};
  return a;
}

FakeAllocation etl_of(const std::string& name, double cpu, double adjustment) {
  FakeAllocation a = alloc(name, cpu + adjustment);
  a.window_start = k_day * 86400.0;
  a.window_end = a.window_start + 86400;
  a.set_index = 0;
  a.values = {{AllocField::cpu_cost, cpu}, {AllocField::cpu_cost_adjustment, adjustment}};
  return a;
}

}  // namespace

TEST_CASE("day export, hourly: hours the On-Demand API lacks make the day the ETL's daily rows") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  // The ETL has the whole day ($16.34, 2 containers); Prometheus still has only hours 20-23.
  kubecost.etl_day[k_day] = {etl_of("a", 9.0, -0.5), etl_of("b", 8.0, -0.16)};
  for (int h = 20; h < 24; ++h)
    for (const char* name : {"a", "b"}) kubecost.day[k_day].push_back(hour_of(name, h, 0.3));
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().daily);
  CHECK(r.value().fallback_reason ==
        "the On-Demand API answered no allocation for hour(s) 00-19 UTC, which the ETL day has "
        "data for (outside Prometheus' retention?)");
  CHECK(r.value().rows == 2);  // the ETL's two day rows, not the 8 partial hours
  CHECK(r.value().total_cost == Approx(16.34));
  CHECK(store.objects.count(k_key) == 1);
  CHECK(std::filesystem::is_empty(dir.path()));  // the spills and the file are gone
}

TEST_CASE("day export, hourly: a whole day's rows sum to the ETL's reconciled total") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  // "a" in both; "etl-only" only in the ETL; "hourly-only" only in the On-Demand hours.
  // (The ETL-only row is small: a large one would leave the hours short of the ETL's total.)
  kubecost.etl_day[k_day] = {etl_of("a", 4.8, -1.2), etl_of("etl-only", 0.04, 0.01)};
  for (int h = 0; h < 24; ++h) {
    kubecost.day[k_day].push_back(hour_of("a", h, 0.2));
    kubecost.day[k_day].push_back(hour_of("hourly-only", h, 0.01));
  }
  auto s = settings(dir);
  SECTION("reconciled (the default)") {
    DayExporter exporter(s, kubecost, store);
    auto r = exporter.export_day(k_day, k_key);
    REQUIRE(r.ok());
    CHECK_FALSE(r.value().daily);
    CHECK(r.value().rows == 24 + 24 + 1);  // the hours of both, and the ETL-only day row
    CHECK(r.value().etl_only_rows == 1);
    CHECK(r.value().hourly_only_names == 1);
    // 4.8 - 1.2 + 0.04 + 0.01: the ETL's reconciled total; "hourly-only" reconciles to 0.
    CHECK(std::fabs(r.value().total_cost - 3.65) < 1e-9);
  }
  SECTION("RECONCILE_HOURLY=false: the hourly rows as the On-Demand API sent them") {
    s.reconcile_hourly = false;
    DayExporter exporter(s, kubecost, store);
    auto r = exporter.export_day(k_day, k_key);
    REQUIRE(r.ok());
    CHECK(r.value().rows == 48);
    CHECK(r.value().etl_only_rows == 0);
    CHECK(std::fabs(r.value().total_cost - (24 * 0.2 + 24 * 0.01)) < 1e-9);
  }
}

TEST_CASE("day export, hourly: no ETL day means no data; the On-Demand API is not asked") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.etl_day[k_day] = {};
  kubecost.day[k_day] = {hour_of("a", 0, 1)};
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().rows == 0);
  CHECK(kubecost.allocations_asked.empty());
  CHECK(store.calls.empty());
}

TEST_CASE("day export, hourly: a failed On-Demand request exports the ETL's daily rows") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kubecost.etl_day[k_day] = {etl_of("a", 9.0, -0.5)};
  kubecost.day[k_day] = {hour_of("a", 0, 0.3)};
  // The ETL day answers; the On-Demand API times out (fails on large clusters every time).
  struct OnDemandFails : FakeKubecost {
    Expected<void> hourly_sets(std::int64_t, const AllocationVisitor&) override {
      return Failure{.reason = FailureReason::timeout,
                     .message = "Kubecost sent nothing for 1m",
                     .timeout = TimeoutKind::idle};
    }
  } failing;
  failing.etl_day = kubecost.etl_day;
  DayExporter exporter(settings(dir), failing, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE(r.ok());
  CHECK(r.value().daily);
  CHECK(r.value().fallback_reason == "the On-Demand API failed: Kubecost sent nothing for 1m");
  CHECK(r.value().rows == 1);
  CHECK(r.value().total_cost == Approx(8.5));
  CHECK(store.objects.count(k_key) == 1);
}

TEST_CASE("day export, hourly: a set off the hour is refused, naming it") {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  FakeAllocation half = hour_of("a", 3, 1);
  half.window_start += 1800;  // 03:30..04:30
  half.window_end += 1800;
  kubecost.etl_day[k_day] = {etl_of("a", 1, 0)};
  kubecost.day[k_day] = {half};
  DayExporter exporter(settings(dir), kubecost, store);
  auto r = exporter.export_day(k_day, k_key);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message ==
        "allocation: set 0 spans 2024-03-16T03:30:00Z..2024-03-16T04:30:00Z, want 1h sets inside "
        "2024-03-16");
  CHECK(store.calls.empty());
}

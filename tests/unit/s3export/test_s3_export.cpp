#include <catch2/catch.hpp>

#include "exporter/s3export/object_key.hpp"
#include "exporter/s3export/s3_export.hpp"
#include "fake_env.hpp"
#include "s3export/s3export_fakes.hpp"

using namespace kci;
using namespace kci::test;

namespace {

// The days are named from k_today = 2024-03-18; the run happens a day later (2024-03-19 12:30
// UTC), so AWS's window for 7 days, [midnight(now-6d), midnight(now-2d)), is k_today-5 ..
// k_today-2.
constexpr std::int64_t k_today = 19800;
constexpr std::int64_t k_now = (k_today + 1) * 86400 + 45'000;
const ClusterArn k_cluster{"111122223333", "us-east-1", "eks-test"};

// Back-fill 7 days on 2024-03-19: 2024-03-13 .. 2024-03-16.
struct Run {
  TempDir dir;
  FakeKubecost kubecost;
  MemoryStore store;
  kci::test::FakeEnv clock;  // its wall clock: the run's "now"
  RecordingReporter reporter;
  S3ExportRunSettings settings;

  Run() {
    clock.set_wall_unix_seconds(k_now);
    settings.cluster = k_cluster;
    settings.bucket = "mem-bucket";
    settings.backfill_days = 7;
    settings.day.cluster = {"us-east-1", "arn:aws:eks:us-east-1:111122223333:cluster/eks-test",
                            "eks-test"};
    settings.day.work_dir = dir.path();
    for (std::int64_t d = k_today - 5; d <= k_today - 2; ++d) give(d, 2);
  }
  // Kubecost has `rows` allocations on day d.
  void give(std::int64_t d, int rows) {
    kubecost.days.insert(d);
    kubecost.day[d].clear();
    for (int i = 0; i < rows; ++i) {
      FakeAllocation a;
      a.name = "alloc-" + std::to_string(i);
      a.total_cost = 1.5;
      kubecost.day[d].push_back(a);
    }
  }
  int run() { return run_s3_export_days(settings, kubecost, store, clock, reporter); }
  std::vector<std::string> puts() const { return store.calls_of("put"); }
};

std::string put(std::int64_t day) { return "put " + object_key(k_cluster, day); }

}  // namespace

TEST_CASE("s3-export run: exports the days Kubecost has and S3 lacks, oldest first") {
  Run r;
  r.store.objects[object_key(k_cluster, k_today - 5)] = "already there";
  r.kubecost.days.erase(k_today - 3);
  LogCapture logs;
  CHECK(r.run() == 0);
  CHECK(r.kubecost.days_asked ==
        std::vector<std::pair<std::int64_t, std::int64_t>>{{k_today - 5, k_today - 2}});
  CHECK(r.store.calls_of("list") ==
        std::vector<std::string>{
            "list account_id=111122223333/region=us-east-1/year=2024/month=03/"});
  CHECK(r.puts() == std::vector<std::string>{put(k_today - 4), put(k_today - 2)});
  CHECK(r.store.objects.at(object_key(k_cluster, k_today - 5)) == "already there");
  CHECK(r.kubecost.allocations_asked == std::vector<std::int64_t>{k_today - 4, k_today - 2});
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK(r.reporter.reports[0] == RunReport{true, 2, 4, 0, k_now});
  CHECK(logs.lines_with({"level=info", "day already in S3: skipped", "day=2024-03-13"}).size() ==
        1);
  // AWS's line for a day without data (at error, as AWS logs it), then ours.
  CHECK(logs.lines_with({"level=error",
                         "msg=\"API response appears to be empty. This script collects data "
                         "between 72 hours ago and 48 hours ago. Make sure that you have data at "
                         "least within this timeframe.\" day=2024-03-15",
                         "Kubecost has no data for the day"})
            .size() == 1);
  CHECK(logs.lines_with({"day exported", "day=2024-03-14", "rows=2", "total_cost=3.000000",
                         "object=\"s3://mem-bucket/" + object_key(k_cluster, k_today - 4) + "\""})
            .size() == 1);
  CHECK(logs.lines_with({"s3-export back-fill period", "from=2024-03-13", "to=2024-03-16",
                         "bucket=mem-bucket", "cluster=eks-test"})
            .size() == 1);
}

TEST_CASE("s3-export run: a failed day does not stop the others; the exit code is 1") {
  Run r;
  r.kubecost.allocation_failures.emplace(
      k_today - 4, Failure{FailureReason::http_status, "Kubecost answered code 500", 500});
  LogCapture logs;
  CHECK(r.run() == 1);
  CHECK(r.puts() == std::vector<std::string>{put(k_today - 5), put(k_today - 3), put(k_today - 2)});
  CHECK_FALSE(r.store.objects.count(object_key(k_cluster, k_today - 4)));
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK(r.reporter.reports[0] == RunReport{false, 3, 6, 1, k_now});
  CHECK(logs.lines_with({"level=error", "day export failed; the next run retries it",
                         "day=2024-03-14", "reason=http_status",
                         "error=\"allocation: Kubecost answered code 500\""})
            .size() == 1);
  CHECK(r.dir.files().empty());
}

TEST_CASE("s3-export run: a failed multipart part aborts that day only") {
  Run r;
  r.settings.day.upload = {0, 256};  // every day goes multipart, in 256-byte parts
  r.store.fail_part = 3;             // every upload fails at its third part
  r.give(k_today - 2, 0);            // ... but this day has nothing to upload
  CHECK(r.run() == 1);
  CHECK(r.store.calls_of("abort").size() == 3);
  CHECK(r.store.calls_of("complete").empty());
  CHECK(r.store.objects.empty());
  CHECK(r.store.uploads.empty());
  CHECK(r.reporter.reports.at(0) == RunReport{false, 0, 0, 3, k_now});
  CHECK(r.dir.files().empty());
}

TEST_CASE("s3-export run: nothing missing uploads nothing and exits 0") {
  Run r;
  for (std::int64_t d = k_today - 5; d <= k_today - 2; ++d)
    r.store.objects[object_key(k_cluster, d)] = "x";
  LogCapture logs;
  CHECK(r.run() == 0);
  CHECK(r.puts().empty());
  CHECK(r.kubecost.allocations_asked.empty());
  CHECK(r.reporter.reports.at(0) == RunReport{true, 0, 0, 0, k_now});
  CHECK(logs.lines_with({"day already in S3: skipped"}).size() == 4);
}

TEST_CASE("s3-export run: a day Kubecost answers without allocations is skipped, not failed") {
  Run r;
  r.give(k_today - 3, 0);
  LogCapture logs;
  CHECK(r.run() == 0);
  CHECK(r.puts() == std::vector<std::string>{put(k_today - 5), put(k_today - 4), put(k_today - 2)});
  CHECK(r.reporter.reports.at(0) == RunReport{true, 3, 6, 0, k_now});
  CHECK(logs.lines_with(
                {"level=warn", "Kubecost returned no allocations for the day", "day=2024-03-15"})
            .size() == 1);
}

TEST_CASE("s3-export run: Kubecost's day list failing stops the run before the bucket") {
  Run r;
  r.kubecost.days_failure = Failure{FailureReason::connect, "connection refused"};
  LogCapture logs;
  CHECK(r.run() == 1);
  CHECK(r.store.calls.empty());
  CHECK(r.reporter.reports == std::vector<RunReport>{RunReport{false, 0, 0, 0, k_now}});
  CHECK(logs.lines_with({"level=error", "cannot ask Kubecost which days it has", "reason=connect"})
            .size() == 1);
}

TEST_CASE("s3-export run: the bucket listing failing stops the run before any day") {
  Run r;
  r.store.list_failure = Failure{FailureReason::aws, "s3:ListObjectsV2: AccessDenied", 403};
  LogCapture logs;
  CHECK(r.run() == 1);
  CHECK(r.kubecost.allocations_asked.empty());
  CHECK(r.puts().empty());
  CHECK(r.reporter.reports == std::vector<RunReport>{RunReport{false, 0, 0, 0, k_now}});
  CHECK(logs.lines_with({"level=error", "cannot list the bucket", "AccessDenied"}).size() == 1);
}

TEST_CASE("s3-export run: a window over a month boundary lists each month once") {
  Run r;
  r.clock.set_wall_unix_seconds(19754 * 86400 + 1);  // 2024-02-01
  r.kubecost.days = {};
  r.settings.backfill_days = 10;  // 2024-01-23 .. 2024-01-29
  CHECK(r.run() == 0);
  CHECK(r.store.calls_of("list") ==
        std::vector<std::string>{
            "list account_id=111122223333/region=us-east-1/year=2024/month=01/"});
  r.clock.set_wall_unix_seconds(std::int64_t{19757} *
                                86400);  // 2024-02-04: 2024-01-26 .. 2024-02-01
  r.store.calls.clear();
  CHECK(r.run() == 0);
  CHECK(r.store.calls_of("list") ==
        std::vector<std::string>{
            "list account_id=111122223333/region=us-east-1/year=2024/month=01/",
            "list account_id=111122223333/region=us-east-1/year=2024/month=02/"});
}

TEST_CASE("s3-export run: rows must be of the cluster id Kubecost's day list gave") {
  Run r;
  r.kubecost.cluster = "cluster-one";
  r.kubecost.day[k_today - 3][1].cluster = "cluster-two";
  CHECK(r.run() == 1);
  CHECK(r.reporter.reports.back().days_failed == 1);
  CHECK(r.reporter.reports.back().days_written == 3);
}

TEST_CASE("s3-export run: days whose Assets API failed are exported and counted") {
  Run r;
  r.kubecost.asset_failures.emplace(k_today - 4,
                                    Failure{FailureReason::http_status, "HTTP 500", 500});
  r.kubecost.asset_failures.emplace(k_today - 2, Failure{FailureReason::parse, "not JSON"});
  CHECK(r.run() == 0);
  CHECK(r.puts().size() == 4);
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK(r.reporter.reports[0] == RunReport{true, 4, 8, 0, k_now, 2});
}

TEST_CASE("s3-export run: a cancellation stops the run after the day in flight, exit 1") {
  Run r;
  Cancellation cancel;
  r.store.on_put = [&](const std::string&) { cancel.cancel("interrupted by SIGTERM"); };
  LogCapture logs;
  CHECK(run_s3_export_days(r.settings, r.kubecost, r.store, r.clock, r.reporter, cancel) == 1);
  // The first day's PUT completed as the signal came; no other day was started.
  CHECK(r.kubecost.allocations_asked == std::vector<std::int64_t>{k_today - 5});
  CHECK(r.puts() == std::vector<std::string>{put(k_today - 5)});
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK_FALSE(r.reporter.reports[0].succeeded);
  CHECK(r.reporter.reports[0].days_written == 1);
  CHECK(logs.lines_with({"level=error", "s3-export stopped", "reason=\"interrupted by SIGTERM\"",
                         "next_day=2024-03-14"})
            .size() == 1);
  CHECK(r.dir.files().empty());
}

TEST_CASE("s3-export run: cancelled before it starts: nothing is exported, exit 1") {
  Run r;
  Cancellation cancel;
  cancel.cancel("interrupted by SIGINT");
  CHECK(run_s3_export_days(r.settings, r.kubecost, r.store, r.clock, r.reporter, cancel) == 1);
  CHECK(r.kubecost.allocations_asked.empty());
  CHECK(r.puts().empty());
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK_FALSE(r.reporter.reports[0].succeeded);
}

// cloudtuner_kubecost_s3_export_assets_failures counts days written without Assets facts; a
// day with no allocations writes no object and is not counted (docs/s3-export.md).
TEST_CASE("s3-export run: an Assets failure counts only for a day written") {
  Run r;
  r.give(k_today - 3, 0);  // nothing to export that day ...
  r.kubecost.asset_failures.emplace(k_today - 3,
                                    Failure{FailureReason::http_status, "HTTP 500", 500});
  r.kubecost.asset_failures.emplace(k_today - 2, Failure{FailureReason::parse, "not JSON"});
  CHECK(r.run() == 0);
  CHECK(r.puts() == std::vector<std::string>{put(k_today - 5), put(k_today - 4), put(k_today - 2)});
  REQUIRE(r.reporter.reports.size() == 1);
  // ... so only k_today - 2, written without node columns, is an assets failure.
  CHECK(r.reporter.reports[0] == RunReport{true, 3, 6, 0, k_now, 1});
}

TEST_CASE("s3-export run: BACKFILL_PERIOD_DAYS=3 is an empty window: nothing asked, exit 0") {
  Run r;
  r.settings.backfill_days = 3;  // [midnight(now-2d), midnight(now-2d)): no day (backfill_plan.hpp)
  LogCapture logs;
  CHECK(r.run() == 0);
  CHECK(r.kubecost.days_asked.empty());
  CHECK(r.kubecost.allocations_asked.empty());
  CHECK(r.store.calls.empty());
  REQUIRE(r.reporter.reports.size() == 1);
  CHECK(r.reporter.reports[0] == RunReport{true, 0, 0, 0, k_now});
  CHECK(logs.lines_with({"level=info", "s3-export back-fill window is empty",
                         "backfill_period_days=3", "bucket=mem-bucket", "cluster=eks-test"})
            .size() == 1);
  CHECK(logs.lines_with({"s3-export back-fill period"}).empty());
  // P = 4 is the smallest window with a day in it: today - 3.
  Run four;
  four.settings.backfill_days = 4;
  CHECK(four.run() == 0);
  CHECK(four.kubecost.days_asked ==
        std::vector<std::pair<std::int64_t, std::int64_t>>{{k_today - 2, k_today - 2}});
}

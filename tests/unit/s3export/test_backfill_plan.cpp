#include <catch2/catch.hpp>

#include "exporter/s3export/backfill_plan.hpp"
#include "exporter/s3export/object_key.hpp"

using namespace kci;

namespace {

constexpr std::int64_t k_mar18 = 19800;  // 2024-03-18
const ClusterArn k_cluster{"111122223333", "us-east-1", "eks-test"};

std::string key(std::int64_t day) { return object_key(k_cluster, day); }

}  // namespace

TEST_CASE("backfill window: AWS's [midnight(now-P+1d), midnight(now-2d)), whatever the hour") {
  // P = 15 on 2024-03-18: 2024-03-04 .. 2024-03-15; the 16th ended < 48 h ago at any hour.
  const BackfillWindow start_of_day = backfill_window(k_mar18 * 86400, 15);
  CHECK(start_of_day.first == k_mar18 - 14);
  CHECK(start_of_day.last == k_mar18 - 3);
  const BackfillWindow end_of_day = backfill_window((k_mar18 + 1) * 86400 - 1, 15);
  CHECK(end_of_day.first == k_mar18 - 14);
  CHECK(end_of_day.last == k_mar18 - 3);
  const BackfillWindow four = backfill_window(k_mar18 * 86400 + 5000, 4);
  CHECK(four.first == k_mar18 - 3);
  CHECK(four.last == k_mar18 - 3);
  // P = 3 (the smallest the config takes) is empty in AWS's exporter too.
  const BackfillWindow smallest = backfill_window(k_mar18 * 86400 + 5000, 3);
  CHECK(smallest.last < smallest.first);
}

TEST_CASE("backfill plan: every day of the window, oldest first, with its action") {
  const BackfillWindow window{k_mar18 - 5, k_mar18 - 2};
  const std::set<std::int64_t> kubecost = {k_mar18 - 5, k_mar18 - 4, k_mar18 - 2};
  const std::vector<std::string> in_s3 = {key(k_mar18 - 4)};
  const std::vector<PlannedDay> want = {{k_mar18 - 5, DayAction::export_day},
                                        {k_mar18 - 4, DayAction::already_in_s3},
                                        {k_mar18 - 3, DayAction::no_data},
                                        {k_mar18 - 2, DayAction::export_day}};
  CHECK(plan_backfill(window, kubecost, in_s3, "eks-test") == want);
}

TEST_CASE("backfill plan: a day already in S3 is skipped even when Kubecost lacks it") {
  const BackfillWindow window{k_mar18 - 3, k_mar18 - 3};
  const std::vector<PlannedDay> want = {{k_mar18 - 3, DayAction::already_in_s3}};
  CHECK(plan_backfill(window, {}, {key(k_mar18 - 3)}, "eks-test") == want);
}

TEST_CASE("backfill plan: Kubecost days and keys outside the window change nothing") {
  const BackfillWindow window{k_mar18 - 3, k_mar18 - 2};
  const std::set<std::int64_t> kubecost = {k_mar18 - 10, k_mar18 - 3, k_mar18 - 2, k_mar18};
  const std::vector<PlannedDay> want = {{k_mar18 - 3, DayAction::export_day},
                                        {k_mar18 - 2, DayAction::already_in_s3}};
  CHECK(plan_backfill(window, kubecost, {key(k_mar18 - 9), key(k_mar18 - 2), key(k_mar18)},
                      "eks-test") == want);
}

TEST_CASE("backfill plan: only this cluster's day files count as present") {
  const BackfillWindow window{k_mar18 - 2, k_mar18 - 2};
  const std::string month = "account_id=111122223333/region=us-east-1/year=2024/month=03/";
  const std::vector<std::string> not_ours = {
      month + "2024-03-16_other-cluster.snappy.parquet",
      month + "2024-03-16_eks-test2.snappy.parquet",
      month + "2024-03-16_eks-test.snappy.parquet.tmp",
      month + "2024-03-16_eks-test.parquet",
      month + "2024-3-16_eks-test.snappy.parquet",
      month + "x2024-03-16_eks-test.snappy.parquet",
      month + "notadate10_eks-test.snappy.parquet",
  };
  const std::vector<PlannedDay> want = {{k_mar18 - 2, DayAction::export_day}};
  CHECK(plan_backfill(window, {k_mar18 - 2}, not_ours, "eks-test") == want);
  // The same day under the right name is found, at any depth of prefix.
  const std::vector<PlannedDay> present = {{k_mar18 - 2, DayAction::already_in_s3}};
  CHECK(plan_backfill(window, {k_mar18 - 2}, {"2024-03-16_eks-test.snappy.parquet"}, "eks-test") ==
        present);
}

TEST_CASE("backfill plan: an empty window plans nothing") {
  CHECK(plan_backfill(BackfillWindow{k_mar18, k_mar18 - 1}, {k_mar18}, {}, "eks-test").empty());
}

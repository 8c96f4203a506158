#include <catch2/catch.hpp>

#include "exporter/s3export/object_key.hpp"

using namespace kci;

namespace {
const ClusterArn k_cluster{"111122223333", "us-east-1", "eks-test"};
}

TEST_CASE("object key: the dataset's Hive-style layout, one file per cluster-day") {
  CHECK(object_key(k_cluster, 19800) ==
        "account_id=111122223333/region=us-east-1/year=2024/month=03/"
        "2024-03-18_eks-test.snappy.parquet");
  CHECK(object_key(k_cluster, 0) ==
        "account_id=111122223333/region=us-east-1/year=1970/month=01/"
        "1970-01-01_eks-test.snappy.parquet");
}

TEST_CASE("object key: one listing prefix per month of the period, ascending") {
  const std::vector<std::string> one = {
      "account_id=111122223333/region=us-east-1/year=2024/month=03/"};
  CHECK(month_prefixes(k_cluster, 19785, 19798) == one);
  // 2023-12-30 .. 2024-02-01: December, January and February.
  const std::vector<std::string> three = {
      "account_id=111122223333/region=us-east-1/year=2023/month=12/",
      "account_id=111122223333/region=us-east-1/year=2024/month=01/",
      "account_id=111122223333/region=us-east-1/year=2024/month=02/"};
  CHECK(month_prefixes(k_cluster, 19721, 19754) == three);
  CHECK(month_prefixes(k_cluster, 5, 4).empty());
}

TEST_CASE("object key: the day of a listed key round-trips, other names are not days") {
  CHECK(day_of_key(object_key(k_cluster, 19800), "eks-test") == 19800);
  CHECK(day_of_key("2024-02-29_eks-test.snappy.parquet", "eks-test") == 19782);
  CHECK_FALSE(day_of_key(object_key(k_cluster, 19800), "eks").has_value());
  CHECK_FALSE(day_of_key("a/2024-03-18_eks-test.snappy.parquet.part", "eks-test").has_value());
  CHECK_FALSE(day_of_key("a/2024-13-18_eks-test.snappy.parquet", "eks-test").has_value());
  CHECK_FALSE(day_of_key("a/", "eks-test").has_value());
}

TEST_CASE("object key: named by codec; the listing knows both names (issue 13 item 10)") {
  CHECK(object_key(k_cluster, 19800, parquet::Codec::zstd) ==
        "account_id=111122223333/region=us-east-1/year=2024/month=03/"
        "2024-03-18_eks-test.zstd.parquet");
  CHECK(object_key(k_cluster, 19800, parquet::Codec::snappy) ==
        "account_id=111122223333/region=us-east-1/year=2024/month=03/"
        "2024-03-18_eks-test.snappy.parquet");
  CHECK(day_of_key(object_key(k_cluster, 19800, parquet::Codec::zstd), "eks-test") == 19800);
  CHECK(day_of_key("a/2024-03-18_eks-test.zstd.parquet", "eks-test") == 19800);
  CHECK_FALSE(day_of_key("a/2024-03-18_eks-test.gzip.parquet", "eks-test").has_value());
  CHECK_FALSE(day_of_key("a/2024-03-18_eks-test.zstd.parquet.part", "eks-test").has_value());
}

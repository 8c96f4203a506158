// The options s3-export builds from the Config: the Kubecost connection's overrides, the
// Kubecost query of each day, the run's settings; each field carries its setting.
#include <catch2/catch.hpp>

#include <chrono>

#include "app/option_checks.hpp"
#include "exporter/app/s3_export_options.hpp"

using namespace kci;
using namespace std::chrono_literals;

namespace {

const ClusterArn k_cluster{"111122223333", "us-east-1", "eks-test"};

}  // namespace

TEST_CASE("kubecost api: the s3-export connection overrides") {
  Config config;
  config.kubecost.url = "http://kubecost:9090";
  config.s3.connection_timeout = std::chrono::milliseconds(1234);
  auto plain = s3_export_connection(config);
  CHECK(plain.url == "http://kubecost:9090");
  CHECK(plain.connect_timeout == std::chrono::milliseconds(1234));
  CHECK_FALSE(plain.insecure_skip_verify);
  config.s3.kubecost_endpoint = "https://other:9443";
  config.s3.tls_verify = false;
  auto other = s3_export_connection(config);
  CHECK(other.url == "https://other:9443");
  CHECK(other.insecure_skip_verify);
}

TEST_CASE("s3-export run settings: taken from the config and the ARN (region: the cluster's)") {
  Config config;
  config.s3.bucket = "b";
  config.s3.cluster_arn = "arn:aws:eks:us-east-1:111122223333:cluster/eks-test";
  config.s3.backfill_days = 7;
  config.s3.labels = {"app.kubernetes.io/name"};
  config.s3.annotations = {"owner"};
  config.s3.work_dir = "/work";
  config.s3.compression = "zstd";
  config.s3.multipart_threshold = 1234;
  const auto s = s3_export_run_settings(config, k_cluster);
  CHECK(s.bucket == "b");
  CHECK(s.backfill_days == 7);
  CHECK(s.cluster.name == "eks-test");
  CHECK(s.day.cluster.region == k_cluster.region);
  CHECK(s.day.cluster.cluster_arn == config.s3.cluster_arn);
  CHECK(s.day.cluster.name == "eks-test");
  CHECK(s.day.label_keys == config.s3.labels);
  CHECK(s.day.annotation_keys == config.s3.annotations);
  CHECK(s.day.work_dir == "/work");
  CHECK(s.day.codec == parquet::Codec::zstd);
  CHECK(s.day.upload.multipart_threshold == 1234);
  CHECK(s.day.upload.min_part_size == k_min_part_size);
  config.s3.compression = "snappy";
  CHECK(s3_export_run_settings(config, k_cluster).day.codec == parquet::Codec::snappy);
  CHECK(s.day.hourly);
  config.s3.granularity = "daily";
  CHECK_FALSE(s3_export_run_settings(config, k_cluster).day.hourly);
}

TEST_CASE("s3-export options: every field of the Kubecost query carries its setting") {
  Config config;
  S3ExportConfig& s3 = config.s3;
  s3.cluster_arn = "arn:aws:eks:us-east-1:111122223333:cluster/eks-test";
  s3.aggregation = "namespace";
  s3.granularity = "daily";
  s3.paginate = true;
  s3.resolution = "5m";
  s3.allocation_read_timeout = 90s;
  s3.assets_read_timeout = 45s;
  s3.labels = {"team"};
  s3.annotations = {"owner"};
  const S3ExportQueryOptions q = s3_export_query_options(config);
  CHECK_CARRIES(q, cluster_arn, s3.cluster_arn);
  CHECK_CARRIES(q, aggregation, s3.aggregation);
  CHECK_CARRIES(q, granularity, s3.granularity);
  CHECK_CARRIES(q, paginate, s3.paginate);
  CHECK_CARRIES(q, resolution, s3.resolution);
  CHECK_CARRIES(q, allocation_read_timeout, s3.allocation_read_timeout);
  CHECK_CARRIES(q, assets_read_timeout, s3.assets_read_timeout);
  CHECK_CARRIES(q, labels, s3.labels);
  CHECK_CARRIES(q, annotations, s3.annotations);
}

TEST_CASE("s3-export options: the Kubecost query's defaults are the settings' defaults") {
  const S3ExportQueryOptions q = s3_export_query_options(Config{});
  CHECK_DEFAULT(q, cluster_arn);
  CHECK_DEFAULT(q, aggregation);
  CHECK_DEFAULT(q, granularity);
  CHECK_DEFAULT(q, paginate);
  CHECK_DEFAULT(q, resolution);
  CHECK_DEFAULT(q, allocation_read_timeout);
  CHECK_DEFAULT(q, assets_read_timeout);
  CHECK_DEFAULT(q, labels);
  CHECK_DEFAULT(q, annotations);
}

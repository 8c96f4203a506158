#pragma once
// Where a cluster-day lives in the bucket, in the layout of the AWS containers-cost-allocation
// dataset (kubecost-s3-exporter): Hive-style partitions by account, region, year and month,
// then "<YYYY-MM-DD>_<cluster name>.snappy.parquet". The suffix stays ".snappy.parquet" even
// with zstd compression, as the AWS exporter's Athena table expects.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/config.hpp"

namespace kci {

// "account_id=<a>/region=<r>/year=<YYYY>/month=<MM>/<YYYY-MM-DD>_<name>.snappy.parquet".
std::string object_key(const ClusterArn& cluster, std::int64_t day);

// The distinct month prefixes ("account_id=<a>/region=<r>/year=<YYYY>/month=<MM>/") covering
// days first..last inclusive, in ascending order: one listing each finds every key of the period.
std::vector<std::string> month_prefixes(const ClusterArn& cluster, std::int64_t first,
                                        std::int64_t last);

// The day a listed key holds for the cluster named `cluster_name`, or nullopt when the key's
// last segment is not "<YYYY-MM-DD>_<cluster_name>.snappy.parquet" with a valid date.
std::optional<std::int64_t> day_of_key(std::string_view key, std::string_view cluster_name);

}  // namespace kci

#pragma once
// Where a cluster-day lives in the bucket, in the layout of the AWS containers-cost-allocation
// dataset (kubecost-s3-exporter): Hive-style partitions by account, region, year and month,
// then "<YYYY-MM-DD>_<cluster name>.<codec>.parquet": ".snappy.parquet" as the AWS exporter names
// its files (main.py writes them with pandas' default snappy codec), ".zstd.parquet" when
// S3_EXPORT_COMPRESSION=zstd, so a name never lies about its contents. The Glue table reads every
// object under its location whatever the suffix; the listing knows both names.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/cluster_arn.hpp"
#include "exporter/parquet/parquet_writer.hpp"

namespace kci {

// "account_id=<a>/region=<r>/year=<YYYY>/month=<MM>/<YYYY-MM-DD>_<name>.<codec>.parquet", the
// codec being snappy, zstd (or "uncompressed").
std::string object_key(const ClusterArn& cluster, std::int64_t day,
                       parquet::Codec codec = parquet::Codec::snappy);

// The distinct month prefixes ("account_id=<a>/region=<r>/year=<YYYY>/month=<MM>/") covering
// days first..last inclusive, in ascending order: one listing each finds every key of the period.
std::vector<std::string> month_prefixes(const ClusterArn& cluster, std::int64_t first,
                                        std::int64_t last);

// The day a listed key holds for the cluster named `cluster_name`, or nullopt when the key's
// last segment is not "<YYYY-MM-DD>_<cluster_name>.snappy.parquet" (or .zstd.parquet, or
// .uncompressed.parquet) with a valid date: a day written with either codec is in S3.
std::optional<std::int64_t> day_of_key(std::string_view key, std::string_view cluster_name);

}  // namespace kci

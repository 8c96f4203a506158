#pragma once
#include <string>

#include "exporter/config/config.hpp"

namespace kci {
// allocation-exporter s3-export: back-fills the days Kubecost has and S3 lacks, one Parquet file
// per cluster-day. Wires the real peers (AWS credentials, S3, Kubecost over HTTP, the system
// clock, the Pushgateway) to run_s3_export_days. Returns 0 when done (also when nothing was
// missing) and 1 when anything failed, also when SIGTERM/SIGINT or s3ExportRunTimeout stopped
// the run (run_stopper: uploads in flight are aborted, temporary files removed); bad settings
// throw ConfigError (exit 2). Blocks SIGTERM and SIGINT for its duration.
int run_s3_export(const Config& config, const EnvLookup& env);

// The region AWS requests are first sent to and signed for: AWS_REGION, else AWS_DEFAULT_REGION,
// else `cluster_region` (the CLUSTER_ID ARN's). A variable set to "" counts as unset (a Helm
// value rendered empty must not give the hosts sts..amazonaws.com). A set value must be a region
// name as botocore accepts one (utils.py validate_region_name: 1-63 of A-Z a-z 0-9 '-', not
// starting or ending with '-'): anything else throws ConfigError naming the variable and value
// (it becomes part of every host name).
std::string aws_request_region(const EnvLookup& env, const std::string& cluster_region);
}  // namespace kci

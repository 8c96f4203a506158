#pragma once
#include "exporter/config/config.hpp"

namespace kci {
// allocation-exporter s3-export: back-fills the days Kubecost has and S3 lacks, one Parquet file
// per cluster-day. Wires the real peers (AWS credentials, S3, Kubecost over HTTP, the system
// clock, the Pushgateway) to run_s3_export_days. Returns 0 when done (also when nothing was
// missing) and 1 when anything failed, also when SIGTERM/SIGINT or s3ExportRunTimeout stopped
// the run (run_stopper: uploads in flight are aborted, temporary files removed); bad settings
// throw ConfigError (exit 2). Blocks SIGTERM and SIGINT for its duration.
int run_s3_export(const Config& config, const EnvLookup& env);
}  // namespace kci

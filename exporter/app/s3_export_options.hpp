#pragma once
// The options s3-export hands to each layer, built once from the Config, one function per
// options struct: each copies exactly the settings its struct holds (tests/unit/app checks that
// every field carries its setting).
#include "exporter/config/cluster_arn.hpp"
#include "exporter/config/config.hpp"
#include "exporter/http/kubecost_connection.hpp"
#include "exporter/s3export/s3_export.hpp"
#include "exporter/s3export/s3_export_query_options.hpp"

namespace kci {

// The connection s3-export uses: kubecostUrl unless KUBECOST_API_ENDPOINT is set, its own
// connect timeout, and verification off when either setting turns it off.
KubecostConnection s3_export_connection(const Config& config);

// How each day is asked of Kubecost (http_kubecost_api.hpp).
S3ExportQueryOptions s3_export_query_options(const Config& config);

// The run's settings from the config and the parsed CLUSTER_ID. properties.region (like the
// region= partition of the key) is the cluster's, from its ARN, never AWS_REGION: that is where
// the client signs S3 requests first, and EKS sets it to the Pod's region, which a cross-region
// or cross-account bucket need not share.
S3ExportRunSettings s3_export_run_settings(const Config& config, const ClusterArn& cluster);

}  // namespace kci

#pragma once
// The options serve mode hands to each layer, built once from the Config, one function per
// options struct: each copies exactly the settings its struct holds (tests/unit/app checks that
// every field carries its setting). Doctor's Kubecost check uses allocation_query_options too.
#include "exporter/config/config.hpp"
#include "exporter/kubecost/allocation_query_options.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/landing_page_options.hpp"
#include "exporter/serve/poller_options.hpp"
#include "exporter/serve/self_metrics_options.hpp"

namespace kci {

// The Allocation API query of every poll (kubecost_query.hpp).
AllocationQueryOptions allocation_query_options(const Config& config);

// What the snapshot, the cost series and the label families of a poll depend on.
CostSeriesOptions cost_series_options(const Config& config);

// The poll loop's timing and leader election.
PollerOptions poller_options(const Config& config);

// The exporter's own _info and _leader series.
SelfMetricsOptions self_metrics_options(const Config& config);

// The landing page at `/`.
LandingPageOptions landing_page_options(const Config& config);

}  // namespace kci

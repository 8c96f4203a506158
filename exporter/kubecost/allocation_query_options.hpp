#pragma once
// The Allocation API query of serve mode's polls (kubecost_query.hpp), sent by KubecostSource;
// DemoSource answers the same aggregation. Plain data; app/ builds it once from the settings.
// The defaults are the settings' defaults.
#include <string>

namespace kci {

struct AllocationQueryOptions {
  std::string window = "24h";  // window=, as written (validated by the settings)
  bool accumulate = true;      // accumulate=
  bool time_series = false;    // timeSeries: step=<step> is sent
  std::string step = "1h";
  bool include_idle = true;  // idle= and includeIdle=
  // shareIdle: "none" sends shareIdle=false; "weighted" (and "even", which neither API offers)
  // shareIdle=true.
  std::string share_idle = "weighted";
  // multiCluster: aggregate=cluster,... and splitIdle=true.
  bool multi_cluster = false;
  // Pod series wanted (enablePodMetrics, or aggregationLevel=pod): aggregate=...,pod.
  bool pod_metrics = false;
  // kubecostClusterId: filter=cluster:"<id>"; "" = no filter (every cluster Kubecost knows).
  std::string cluster_id;
};

}  // namespace kci

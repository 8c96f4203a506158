#pragma once
// What the exporter's own metrics show of the settings (self_metrics.hpp): the _info labels and
// whether the _leader gauge and the _unsplit_idle_dropped_total counter exist. Plain data; app/
// builds it once from the settings. The defaults are the settings' defaults.
#include <string>

namespace kci {

struct SelfMetricsOptions {
  bool leader_election = false;  // leaderElection.enabled: the _leader gauge exists
  bool multi_cluster = false;    // multiCluster: _unsplit_idle_dropped_total exists
  // kubecostUrl as configured; the _info label shows it with its credentials redacted.
  std::string kubecost_url = "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090";
  std::string aggregation_level = "namespace";  // aggregationLevel
  std::string window = "24h";                   // window, as written
  std::string cluster_name = "kubernetes";      // clusterName
};

}  // namespace kci

#pragma once
// What the cost series of a poll depend on: how allocations fold into the snapshot
// (cost_snapshot, poll_result), how the snapshot and the label families are rendered
// (exposition, label_costs) and how a short window's empty answer is told apart (poll_result).
// Plain data; app/ builds it once from the settings. The defaults are the settings' defaults.
#include <cstddef>
#include <string>
#include <vector>

#include "exporter/config/metric_mode.hpp"
#include "exporter/util/durations.hpp"

namespace kci {

struct CostSeriesOptions {
  // clusterName: the `cluster` label of every series without multiCluster.
  std::string cluster_name = "kubernetes";
  // multiCluster: one exporter for a federation; rows keyed by (cluster, namespace[, pod]) and
  // the `cluster` label from properties.cluster (or the name's first component).
  bool multi_cluster = false;
  // Pod series wanted (enablePodMetrics, or aggregationLevel=pod): the top_n_pods most
  // expensive pods plus one `__other__` row per namespace.
  bool pod_metrics = false;
  int top_n_pods = 50;  // topNPods; below 0 counts as 0
  // accumulate and timeSeries as the query asked them: one set per answer (accumulate, no
  // step) lets the snapshot hold only the top N pods while the answer arrives.
  bool accumulate = true;
  bool time_series = false;
  // window: its text names it in the "no data yet" failure; its nominal hours are the rate
  // divisor when the answer carries no window, and a window of at most 1 h makes an answer of
  // only `null` sets FailureReason::no_data_yet.
  WindowSpec window{"24h", 24};
  MetricMode metric_mode = MetricMode::rate;
  // labelKeys: Kubernetes label keys exported as label_<sanitised key> on namespace and pod
  // series, and the keys of the label cost families.
  std::vector<std::string> label_keys;
  std::string tenant_id;         // tenantId: the tenant_id label of every series
  std::string currency = "USD";  // currency: the currency label and the unit in HELP texts
  // maxSeries: a poll whose answer would publish more cost and label series than this fails
  // with FailureReason::too_many_series (the last good series are kept, as for any failed poll).
  std::size_t max_series = 200000;
};

}  // namespace kci

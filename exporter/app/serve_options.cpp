#include "exporter/app/serve_options.hpp"

namespace kci {

AllocationQueryOptions allocation_query_options(const Config& config) {
  AllocationQueryOptions o;
  o.window = config.window.text;
  o.accumulate = config.accumulate;
  o.time_series = config.time_series;
  o.step = config.step;
  o.include_idle = config.include_idle;
  o.share_idle = config.share_idle;
  o.multi_cluster = config.multi_cluster;
  o.pod_metrics = config.wants_pods();
  o.cluster_id = config.kubecost.cluster_id;
  return o;
}

CostSeriesOptions cost_series_options(const Config& config) {
  CostSeriesOptions o;
  o.cluster_name = config.cluster_name;
  o.multi_cluster = config.multi_cluster;
  o.pod_metrics = config.wants_pods();
  o.top_n_pods = config.top_n_pods;
  o.accumulate = config.accumulate;
  o.time_series = config.time_series;
  o.window = config.window;
  o.metric_mode = config.metric_mode;
  o.label_keys = config.label_keys;
  o.tenant_id = config.tenant_id;
  o.currency = config.currency;
  o.max_series = static_cast<std::size_t>(config.max_series);
  return o;
}

PollerOptions poller_options(const Config& config) {
  PollerOptions o;
  o.scrape_interval = config.scrape_interval;
  o.scrape_jitter_max = config.scrape_jitter_max;
  o.max_staleness = config.max_staleness;
  o.leader_election = config.leader_election.enabled;
  return o;
}

SelfMetricsOptions self_metrics_options(const Config& config) {
  SelfMetricsOptions o;
  o.leader_election = config.leader_election.enabled;
  o.multi_cluster = config.multi_cluster;
  o.kubecost_url = config.kubecost.url;
  o.aggregation_level = config.aggregation_level;
  o.window = config.window.text;
  o.cluster_name = config.cluster_name;
  return o;
}

LandingPageOptions landing_page_options(const Config& config) {
  LandingPageOptions o;
  o.cluster_name = config.cluster_name;
  o.kubecost_url = config.kubecost.url;
  o.demo = config.demo;
  o.currency = config.currency;
  o.metric_mode = config.metric_mode;
  return o;
}

}  // namespace kci

// The options serve mode builds from the Config: each field carries its setting, and built from
// a default Config each is its struct's default (the options' defaults are the settings').
#include <catch2/catch.hpp>

#include <chrono>

#include "app/option_checks.hpp"
#include "exporter/app/serve_options.hpp"

using namespace kci;
using namespace std::chrono_literals;

namespace {

// Every setting an options struct holds, away from its default.
Config non_default_config() {
  Config c;
  c.kubecost.url = "https://kubecost.example:9443";
  c.kubecost.cluster_id = "prod-eu";
  c.window = *parse_window("2h");
  c.accumulate = false;
  c.time_series = true;
  c.step = "30m";
  c.include_idle = false;
  c.share_idle = "none";
  c.multi_cluster = true;
  c.aggregation_level = "pod";  // pod series wanted, without enablePodMetrics
  c.cluster_name = "eu-1";
  c.top_n_pods = 7;
  c.metric_mode = MetricMode::total;
  c.label_keys = {"team"};
  c.tenant_id = "t-1";
  c.currency = "EUR";
  c.scrape_interval = 30s;
  c.scrape_jitter_max = 1s;
  c.max_staleness = 5min;
  c.max_series = 1234;
  c.leader_election.enabled = true;
  c.demo = true;
  return c;
}

}  // namespace

TEST_CASE("serve options: every field carries its setting") {
  const Config c = non_default_config();

  const AllocationQueryOptions query = allocation_query_options(c);
  CHECK_CARRIES(query, window, c.window.text);
  CHECK_CARRIES(query, accumulate, c.accumulate);
  CHECK_CARRIES(query, time_series, c.time_series);
  CHECK_CARRIES(query, step, c.step);
  CHECK_CARRIES(query, include_idle, c.include_idle);
  CHECK_CARRIES(query, share_idle, c.share_idle);
  CHECK_CARRIES(query, multi_cluster, c.multi_cluster);
  CHECK_CARRIES(query, pod_metrics, c.wants_pods());
  CHECK_CARRIES(query, cluster_id, c.kubecost.cluster_id);

  const CostSeriesOptions series = cost_series_options(c);
  CHECK_CARRIES(series, cluster_name, c.cluster_name);
  CHECK_CARRIES(series, multi_cluster, c.multi_cluster);
  CHECK_CARRIES(series, pod_metrics, c.wants_pods());
  CHECK_CARRIES(series, top_n_pods, c.top_n_pods);
  CHECK_CARRIES(series, accumulate, c.accumulate);
  CHECK_CARRIES(series, time_series, c.time_series);
  CHECK_CARRIES(series, window.text, c.window.text);
  CHECK_CARRIES(series, window.nominal_hours, c.window.nominal_hours);
  CHECK_CARRIES(series, metric_mode, c.metric_mode);
  CHECK_CARRIES(series, label_keys, c.label_keys);
  CHECK_CARRIES(series, tenant_id, c.tenant_id);
  CHECK_CARRIES(series, currency, c.currency);
  CHECK_CARRIES(series, max_series, static_cast<std::size_t>(c.max_series));

  const PollerOptions polling = poller_options(c);
  CHECK_CARRIES(polling, scrape_interval, c.scrape_interval);
  CHECK_CARRIES(polling, scrape_jitter_max, c.scrape_jitter_max);
  CHECK_CARRIES(polling, max_staleness, c.max_staleness);
  CHECK_CARRIES(polling, leader_election, c.leader_election.enabled);
  CHECK(polling.effective_max_staleness() == c.effective_max_staleness());

  const SelfMetricsOptions self = self_metrics_options(c);
  CHECK_CARRIES(self, leader_election, c.leader_election.enabled);
  CHECK_CARRIES(self, kubecost_url, c.kubecost.url);
  CHECK_CARRIES(self, aggregation_level, c.aggregation_level);
  CHECK_CARRIES(self, window, c.window.text);
  CHECK_CARRIES(self, cluster_name, c.cluster_name);

  const LandingPageOptions landing = landing_page_options(c);
  CHECK_CARRIES(landing, cluster_name, c.cluster_name);
  CHECK_CARRIES(landing, kubecost_url, c.kubecost.url);
  CHECK_CARRIES(landing, demo, c.demo);
  CHECK_CARRIES(landing, currency, c.currency);
  CHECK_CARRIES(landing, metric_mode, c.metric_mode);
}

TEST_CASE("serve options: enablePodMetrics alone wants pod series; maxStaleness 0 is 3 intervals") {
  Config c;
  c.enable_pod_metrics = true;
  c.scrape_interval = 30s;
  CHECK(allocation_query_options(c).pod_metrics);
  CHECK(cost_series_options(c).pod_metrics);
  CHECK(poller_options(c).effective_max_staleness() == 90s);
}

TEST_CASE("serve options: built from a default Config, each is its struct's default") {
  const Config c;

  const AllocationQueryOptions query = allocation_query_options(c);
  CHECK_DEFAULT(query, window);
  CHECK_DEFAULT(query, accumulate);
  CHECK_DEFAULT(query, time_series);
  CHECK_DEFAULT(query, step);
  CHECK_DEFAULT(query, include_idle);
  CHECK_DEFAULT(query, share_idle);
  CHECK_DEFAULT(query, multi_cluster);
  CHECK_DEFAULT(query, pod_metrics);
  CHECK_DEFAULT(query, cluster_id);

  const CostSeriesOptions series = cost_series_options(c);
  CHECK_DEFAULT(series, cluster_name);
  CHECK_DEFAULT(series, multi_cluster);
  CHECK_DEFAULT(series, pod_metrics);
  CHECK_DEFAULT(series, top_n_pods);
  CHECK_DEFAULT(series, accumulate);
  CHECK_DEFAULT(series, time_series);
  CHECK_DEFAULT(series, window.text);
  CHECK_DEFAULT(series, window.nominal_hours);
  CHECK_DEFAULT(series, metric_mode);
  CHECK_DEFAULT(series, label_keys);
  CHECK_DEFAULT(series, tenant_id);
  CHECK_DEFAULT(series, currency);
  CHECK_DEFAULT(series, max_series);

  const PollerOptions polling = poller_options(c);
  CHECK_DEFAULT(polling, scrape_interval);
  CHECK_DEFAULT(polling, scrape_jitter_max);
  CHECK_DEFAULT(polling, max_staleness);
  CHECK_DEFAULT(polling, leader_election);

  const SelfMetricsOptions self = self_metrics_options(c);
  CHECK_DEFAULT(self, leader_election);
  CHECK_DEFAULT(self, kubecost_url);
  CHECK_DEFAULT(self, aggregation_level);
  CHECK_DEFAULT(self, window);
  CHECK_DEFAULT(self, cluster_name);

  const LandingPageOptions landing = landing_page_options(c);
  CHECK_DEFAULT(landing, cluster_name);
  CHECK_DEFAULT(landing, kubecost_url);
  CHECK_DEFAULT(landing, demo);
  CHECK_DEFAULT(landing, currency);
  CHECK_DEFAULT(landing, metric_mode);
}

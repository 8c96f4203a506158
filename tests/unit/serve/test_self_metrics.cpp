// Serve mode's own families through prometheus-cpp: names, labels, values, histogram stages.
#include <catch2/catch.hpp>

#include "exporter/serve/self_metrics.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::series_of;

TEST_CASE("self metrics: health families, values and the redacted info labels") {
  SelfMetricsOptions options;
  options.kubecost_url = "https://u:secret@kubecost:9090";
  SelfMetrics m(options);
  const Failure timeout{FailureReason::timeout, "deadline"};
  for (int i = 0; i < 3; ++i) m.record_poll({2.0, 0, 0}, &timeout, 0);
  m.record_poll({0.5, 0.25, 0.125}, nullptr, 1700000000);
  m.set_series_count(42);
  auto s = series_of(m.render());
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_success") == 1);
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_duration_seconds") == 0.875);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="timeout"})") == 3);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="connect"})") == 0);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="internal"})") == 0);
  CHECK(s.count(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="parquet"})") == 0);
  CHECK(s.at("cloudtuner_kubecost_exporter_last_success_timestamp_seconds") == 1700000000);
  CHECK(s.at("cloudtuner_kubecost_exporter_series_count") == 42);
  std::string info =
      R"(cloudtuner_kubecost_exporter_info{aggregation_level="namespace",cluster_name="kubernetes",kubecost_url="https://REDACTED@kubecost:9090",version=")" EXPORTER_VERSION
      R"(",window="24h"})";
  CHECK(s.at(info) == 1);
  // fetch is observed on every poll; parse and render only where the poll got that far.
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_poll_duration_seconds_count{stage="fetch"})") == 4);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_poll_duration_seconds_count{stage="parse"})") == 1);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_poll_duration_seconds_sum{stage="fetch"})") == 6.5);
  CHECK(
      s.at(R"(cloudtuner_kubecost_exporter_poll_duration_seconds_bucket{stage="fetch",le="1"})") ==
      1);
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_exporter_poll_duration_seconds_bucket{stage="fetch",le="2.5"})") ==
      4);
}

TEST_CASE("self metrics: retries follow the client's cumulative count; requests by handler") {
  SelfMetrics m(SelfMetricsOptions{});
  m.record_retries_total(2);
  m.record_retries_total(2);
  m.record_retries_total(5);
  m.record_http_request("/metrics", 200);
  m.record_http_request("/metrics", 200);
  m.record_http_request("other", 404);
  auto s = series_of(m.render());
  CHECK(s.at("cloudtuner_kubecost_exporter_kubecost_retries_total") == 5);
  CHECK(
      s.at(R"(cloudtuner_kubecost_exporter_http_requests_total{code="200",handler="/metrics"})") ==
      2);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_http_requests_total{code="404",handler="other"})") ==
        1);
}

TEST_CASE("self metrics: a reason outside the poll reasons is counted as internal") {
  SelfMetrics m(SelfMetricsOptions{});
  const Failure odd{FailureReason::parquet, "not a poll failure"};
  m.record_poll({}, &odd, 0);
  auto s = series_of(m.render());
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="internal"})") == 1);
}

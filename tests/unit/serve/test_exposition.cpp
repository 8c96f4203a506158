#include <catch2/catch.hpp>

#include <cmath>

#include "exporter/kubecost/answer_source.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/serve/poll_result.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::series_of;

namespace {

std::string render(const std::string& body, const CostSeriesOptions& options,
                   std::size_t* series_out = nullptr) {
  AnswerSource source(body);
  PollStages stages;
  auto r = run_poll(source, options, 2e9, stages);
  REQUIRE(r.ok());
  if (series_out) *series_out = r.value().series;
  return std::string(r.value().costs->text());
}

const char* k_body = R"({"data":[{
  "web":{"properties":{"namespace":"web","namespaceLabels":{"team":"a\"b\\c\nd"}},
         "window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-01T04:00:00Z"},
         "cpuCost":2,"ramCost":6,"pvCost":null,"totalCost":8,"cpuEfficiency":0.5},
  "__idle__":{"window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-01T04:00:00Z"},
         "cpuCost":4,"totalCost":4}}]})";

}  // namespace

TEST_CASE("exposition: label values are escaped") {
  std::string out;
  append_label_value(out, "a\"b\\c\nd");
  CHECK(out == "a\\\"b\\\\c\\nd");
}

TEST_CASE("exposition: sample values round-trip and use Prometheus spellings") {
  std::string out;
  append_sample_value(out, 0.1 + 0.2);
  CHECK(std::stod(out) == 0.1 + 0.2);
  out.clear();
  append_sample_value(out, NAN);
  append_sample_value(out, INFINITY);
  append_sample_value(out, -INFINITY);
  CHECK(out == "NaN+Inf-Inf");
}

TEST_CASE("exposition: rate mode divides by window hours, total mode does not") {
  CostSeriesOptions options;
  options.cluster_name = "prod";
  options.tenant_id = "t-1";
  options.label_keys = {"team"};
  auto rate = series_of(render(k_body, options));
  const std::string labels =
      R"({cluster="prod",namespace="web",tenant_id="t-1",currency="USD",label_team="a\"b\\c\nd"})";
  CHECK(rate.at("cloudtuner_kubecost_namespace_total_cost" + labels) == 2.0);
  CHECK(rate.at("cloudtuner_kubecost_namespace_cpu_cost" + labels) == 0.5);
  CHECK(
      rate.at(
          R"(cloudtuner_kubecost_cluster_total_cost{cluster="prod",tenant_id="t-1",currency="USD"})") ==
      3.0);
  CHECK(
      rate.at(
          R"(cloudtuner_kubecost_idle_total_cost{cluster="prod",tenant_id="t-1",currency="USD"})") ==
      1.0);
  // Efficiency has no currency label and is not divided.
  CHECK(
      rate.at(
          R"(cloudtuner_kubecost_namespace_cpu_efficiency{cluster="prod",namespace="web",tenant_id="t-1",label_team="a\"b\\c\nd"})") ==
      0.5);
  options.metric_mode = MetricMode::total;
  auto total = series_of(render(k_body, options));
  CHECK(total.at("cloudtuner_kubecost_namespace_total_cost" + labels) == 8.0);
}

TEST_CASE("exposition: absent values give no series, and every family has HELP and TYPE") {
  CostSeriesOptions options;
  std::size_t n = 0;
  std::string text = render(k_body, options, &n);
  CHECK(text.find("cloudtuner_kubecost_namespace_pv_cost{") == std::string::npos);
  CHECK(text.find("# HELP cloudtuner_kubecost_namespace_pv_cost ") != std::string::npos);
  CHECK(text.find("NaN") == std::string::npos);
  CHECK(series_of(text).size() == n);
  std::size_t help = 0, type = 0;
  for (std::size_t p = 0; (p = text.find("# HELP ", p)) != std::string::npos; ++p) ++help;
  for (std::size_t p = 0; (p = text.find("# TYPE ", p)) != std::string::npos; ++p) ++type;
  CHECK(help == type);
  CHECK(help == 9 * 3 + 7 * 2);  // cost families x3 scopes; efficiency+averages x2
}

// Fixture input -> exact /metrics text through the one poll (serve/poll.hpp) and the self
// metrics' registry. Rewrite with UPDATE_GOLDEN=1 after a deliberate change. The real binary's
// /metrics has its own golden test (test_serve_golden_e2e.py).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exporter/kubecost/answer_source.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/serve/self_metrics.hpp"

using namespace kci;

TEST_CASE("golden: demo cluster renders to the checked-in /metrics text") {
  CostSeriesOptions series;
  series.cluster_name = "golden";
  series.tenant_id = "tenant-123";
  series.pod_metrics = true;
  series.top_n_pods = 10;
  series.label_keys = {"team"};
  DemoOptions o;
  o.pods = 60;
  o.namespaces = 8;
  o.seed = 7;
  std::string body = demo_allocation_response(o);
  // A hostile name: quotes, backslash and newline must come out escaped.
  body.insert(
      body.find("{\"", 10) + 1,
      R"("we\"ird\\ns\n/p":{"properties":{"namespace":"we\"ird\\ns\n","pod":"p","labels":{"team":"q\"t"},"namespaceLabels":{"team":"q\"t"}},"totalCost":0.5,"cpuCost":0.25,"ramCost":0.25},)"
      // Reconciled: the adjustments are in totalCost and in the resource series.
      R"("adjusted/r":{"properties":{"namespace":"adjusted","pod":"r","namespaceLabels":{"team":"ns-team"}},"totalCost":1.5,"cpuCost":0.5,"cpuCostAdjustment":0.25,"ramCost":0.5,"ramCostAdjustment":0.25},)");

  // The one poll the exporter runs, over answers in memory: the allocation answer and the
  // `aggregate=label:team` answer for the label families.
  AnswerSource source(body, 4096);
  source.set_label_answer(
      "team",
      R"({"code":200,"data":[{"payments":{"totalCost":3,"cpuCost":2,"ramCost":1},"__unallocated__":{"totalCost":1.25,"cpuCost":0.75,"ramCost":0.5},"__idle__":{"totalCost":9}}]})");
  PollStages stages;
  auto r = run_poll(source, series, 2e9, stages);
  REQUIRE(r.ok());
  std::string text(r.value().costs->text());
  SelfMetricsOptions self;
  self.cluster_name = "golden";
  SelfMetrics metrics(self);
  const Failure timeout{FailureReason::timeout, "deadline"};
  metrics.record_poll({10, 0, 0}, &timeout, 0);
  metrics.record_poll({10, 0, 0}, &timeout, 0);
  metrics.record_poll({0.0625, 0.03125, 0.03125}, nullptr, 1700003600);
  metrics.record_retries_total(2);
  metrics.record_http_request("/metrics", 200);
  metrics.set_series_count(r.value().series);
  metrics.set_window_hours(r.value().window_hours);
  text += metrics.render();
  // The compiler is a build fact, not an output of the code under test.
  const std::string compiler_label = "compiler=\"";
  const auto at = text.find(compiler_label);
  REQUIRE(at != std::string::npos);
  const auto value = at + compiler_label.size();
  text.replace(value, text.find('"', value) - value, "<compiler>");

  const std::string path = std::string(KCI_TESTS_DIR) + "/golden/demo_metrics.prom";
  if (std::getenv("UPDATE_GOLDEN")) {
    std::ofstream(path, std::ios::binary) << text;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(text == expected.str());
}

// Fixture input -> exact /metrics text. Rewrite with UPDATE_GOLDEN=1 after a deliberate change.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/serve/exposition.hpp"

using namespace kci;

TEST_CASE("golden: demo cluster renders to the checked-in /metrics text") {
  Config config;
  config.cluster_name = "golden";
  config.tenant_id = "tenant-123";
  config.enable_pod_metrics = true;
  config.top_n_pods = 10;
  config.label_keys = {"team"};
  DemoOptions o;
  o.pods = 60;
  o.namespaces = 8;
  o.seed = 7;
  std::string body = demo_allocation_response(o);
  // A hostile name: quotes, backslash and newline must come out escaped.
  body.insert(
      body.find("{\"", 10) + 1,
      R"("we\"ird\\ns\n/p":{"properties":{"namespace":"we\"ird\\ns\n","pod":"p","labels":{"team":"q\"t"}},"totalCost":0.5,"cpuCost":0.25,"ramCost":0.25},)");

  SnapshotBuilder builder(config, 2e9);
  ParseOptions options{{"team"}};
  auto r = parse_allocations(body, options, [&](const ParsedAllocation& a) { builder.add(a); });
  REQUIRE(r.ok());
  CostSnapshot snap = std::move(builder).finish();
  std::size_t series = 0;
  std::string text = render_costs(snap, config, series);
  HealthState h;
  h.last_duration_seconds = 0.125;
  h.last_success = true;
  h.errors[static_cast<std::size_t>(FailureReason::timeout)] = 2;
  h.last_success_timestamp = 1700003600;
  h.series_count = series;
  text += render_health(h, config);

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

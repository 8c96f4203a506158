#include <catch2/catch.hpp>

#include <cmath>

#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/serve/poll_result.hpp"
#include "test_support.hpp"

using namespace kci;

namespace {

CostSnapshot snapshot_of(const std::string& body, const CostSeriesOptions& options,
                         double now = 2e9) {
  auto r = build_snapshot(body, options, now);
  REQUIRE(r.ok());
  return std::move(r.value());
}

const CostRow& ns_row(const CostSnapshot& s, const std::string& ns) {
  auto it = std::find_if(s.namespaces.begin(), s.namespaces.end(),
                         [&](auto& r) { return r.namespace_name == ns; });
  REQUIRE(it != s.namespaces.end());
  return *it;
}

constexpr const char* k_window =
    R"("window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-01T02:00:00Z"})";

}  // namespace

TEST_CASE("snapshot: namespaces plus idle reconcile to the cluster, per family") {
  CostSeriesOptions options;
  DemoOptions o;
  o.pods = 3000;
  o.namespaces = 60;
  o.pod_level = false;
  CostSnapshot s = snapshot_of(demo_allocation_response(o), options);
  for (std::size_t f = 0; f < k_cost_family_count; ++f) {
    double sum = s.idle.cost[f];
    for (auto& row : s.namespaces) sum += row.acc.cost[f];
    INFO("family " << f);
    CHECK(sum == Approx(s.cluster.cost[f]).epsilon(1e-12));
  }
  CHECK(s.idle.cost_of(CostFamily::total) > 0);
  CHECK(s.namespaces.size() == 61);  // 60 + __unmounted__
}

TEST_CASE("snapshot: top-N pods plus __other__ add up to each namespace") {
  CostSeriesOptions options;
  options.pod_metrics = true;
  options.top_n_pods = 25;
  DemoOptions o;
  o.pods = 1000;
  o.namespaces = 30;
  CostSnapshot s = snapshot_of(demo_allocation_response(o), options);
  std::size_t top = 0, other = 0;
  for (auto& p : s.pods) (p.pod == "__other__" ? other : top)++;
  CHECK(top == 25);
  CHECK(other == s.namespaces.size());
  for (auto& row : s.namespaces) {
    for (CostFamily f : {CostFamily::total, CostFamily::cpu, CostFamily::ram}) {
      double sum = 0;
      for (auto& p : s.pods)
        if (p.namespace_name == row.namespace_name) sum += p.acc.cost_of(f);
      INFO(row.namespace_name);
      CHECK(sum == Approx(row.acc.cost_of(f)).epsilon(1e-12).margin(1e-15));
    }
  }
  // The 25 exported pods are the 25 most expensive.
  double min_top = INFINITY;
  for (auto& p : s.pods)
    if (p.pod != "__other__") min_top = std::min(min_top, p.acc.cost_of(CostFamily::total));
  // Every non-exported pod is at most the cheapest exported one: rebuild all pods to check.
  CostSeriesOptions all = options;
  all.top_n_pods = 10000;
  CostSnapshot full = snapshot_of(demo_allocation_response(o), all);
  std::size_t above = 0;
  for (auto& p : full.pods)
    if (p.pod != "__other__" && p.acc.cost_of(CostFamily::total) >= min_top) ++above;
  CHECK(above == 25);
}

TEST_CASE("snapshot: efficiencies are cost-weighted; null is absent, not zero") {
  CostSeriesOptions options;
  options.pod_metrics = true;
  std::string body =
      std::string(R"({"data":[{)") +
      R"("ns/a":{"properties":{"namespace":"ns","pod":"a"},"cpuCost":3,"ramCost":1,"cpuEfficiency":0.2,"ramEfficiency":0.5,"totalEfficiency":0.275,"totalCost":4},)" +
      R"("ns/b":{"properties":{"namespace":"ns","pod":"b"},"cpuCost":1,"ramCost":3,"cpuEfficiency":0.6,"ramEfficiency":null,"totalEfficiency":null,"totalCost":4},)" +
      R"("other/c":{"properties":{"namespace":"other","pod":"c"},"cpuCost":1,"cpuEfficiency":null,"totalCost":1},)" +
      R"("__idle__":{"cpuCost":5,"ramCost":5,"cpuEfficiency":0,"ramEfficiency":0,"totalEfficiency":0,"totalCost":10})" +
      "}]}";
  CostSnapshot s = snapshot_of(body, options);
  const auto& ns = ns_row(s, "ns");
  CHECK(ns.acc.efficiency(Efficiency::cpu) == Approx((0.2 * 3 + 0.6 * 1) / 4));  // 0.3, not 0.4
  CHECK(ns.acc.efficiency(Efficiency::ram) == Approx(0.5));  // b's null is left out
  CHECK(ns.acc.efficiency(Efficiency::total) == Approx(0.275));
  CHECK(std::isnan(ns_row(s, "other").acc.efficiency(Efficiency::cpu)));
  // Cluster includes idle, weighted by cost: (0.6 + 0.6 + 0) / (3 + 1 + 5)
  CHECK(s.cluster.efficiency(Efficiency::cpu) == Approx(1.2 / 9));
  CHECK(s.cluster.cost_of(CostFamily::total) == Approx(19));
  CHECK(std::isnan(ns_row(s, "other").acc.cost_of(CostFamily::ram)));
}

TEST_CASE("snapshot: rate divisor is the data's window, clamped to now") {
  CostSeriesOptions options;
  std::string body = std::string(R"({"data":[{"a":{)") + k_window + R"(,"totalCost":8}}]})";
  CHECK(snapshot_of(body, options, 2e9).window_hours == Approx(2.0));
  // At 00:30 the 2h window has only 30 minutes of data in it.
  double half_past = parse_rfc3339("2024-01-01T00:30:00Z").value();
  CHECK(snapshot_of(body, options, half_past).window_hours == Approx(0.5));
  // No window in the answer: the configured window's length.
  options.window = *parse_window("3h");
  CHECK(snapshot_of(R"({"data":[{"a":{"totalCost":8}}]})", options).window_hours == 3.0);
  // Several sets (step): their spans add up.
  std::string two =
      std::string(R"({"data":[{"a":{)") + k_window +
      R"(,"totalCost":8}},{"a":{"window":{"start":"2024-01-01T02:00:00Z","end":"2024-01-01T03:00:00Z"},"totalCost":1}}]})";
  CHECK(snapshot_of(two, options).window_hours == Approx(3.0));
}

TEST_CASE("snapshot: request and usage averages weight by running minutes") {
  CostSeriesOptions options;
  std::string body = std::string(R"({"data":[{)") + R"("ns/a":{"properties":{"namespace":"ns"},)" +
                     k_window +
                     R"(,"minutes":120,"cpuCoreRequestAverage":1,"ramByteUsageAverage":100},)" +
                     R"("ns/b":{"properties":{"namespace":"ns"},)" + k_window +
                     R"(,"minutes":60,"cpuCoreRequestAverage":2,"ramByteUsageAverage":null}}]})";
  CostSnapshot s = snapshot_of(body, options);
  const auto& ns = ns_row(s, "ns");
  CHECK(ns.acc.average(Average::cpu_request, s.window_hours * 60) == Approx(2.0));  // 1 + 2*0.5
  CHECK(ns.acc.average(Average::ram_usage, s.window_hours * 60) == Approx(100));
  CHECK(std::isnan(ns.acc.average(Average::cpu_usage, s.window_hours * 60)));
}

TEST_CASE("snapshot: idle by cluster or node, and special names") {
  CostSeriesOptions options;
  CostSnapshot s =
      snapshot_of(R"({"data":[{"c1/__idle__":{"totalCost":2},"c1/n1/__idle__":{"totalCost":3},
    "__unallocated__":{"totalCost":1},"__unmounted__":{"totalCost":4}}]})",
                  options);
  CHECK(s.idle.cost_of(CostFamily::total) == 5);
  CHECK(s.namespaces.size() == 2);
  CHECK(s.cluster.cost_of(CostFamily::total) == 10);
}

TEST_CASE("snapshot: namespace label values only when every allocation agrees") {
  CostSeriesOptions options;
  options.pod_metrics = true;
  options.label_keys = {"team", "app"};
  CostSnapshot s = snapshot_of(R"({"data":[{
    "ns/a":{"properties":{"namespace":"ns","pod":"a","labels":{"team":"x","app":"a"},"namespaceLabels":{"team":"x","app":"n1"}},"totalCost":1},
    "ns/b":{"properties":{"namespace":"ns","pod":"b","labels":{"team":"x","app":"b"},"namespaceLabels":{"team":"x","app":"n2"}},"totalCost":2}}]})",
                               options);
  CHECK(ns_row(s, "ns").labels == std::vector<std::string>{"x", ""});
  auto pod_b = std::find_if(s.pods.begin(), s.pods.end(), [](auto& p) { return p.pod == "b"; });
  REQUIRE(pod_b != s.pods.end());
  CHECK(pod_b->labels == std::vector<std::string>{"x", "b"});
}

TEST_CASE("snapshot: label_<key> on a namespace is the namespace's label, on a pod the pod's") {
  CostSeriesOptions options;
  options.pod_metrics = true;
  options.label_keys = {"team"};
  // A one-pod namespace whose pod says team=pod-team and whose namespace says team=ns-team.
  CostSnapshot s = snapshot_of(R"({"data":[{
    "ns/a":{"properties":{"namespace":"ns","pod":"a","labels":{"team":"pod-team"},"namespaceLabels":{"team":"ns-team"}},"totalCost":1},
    "bare/b":{"properties":{"namespace":"bare","pod":"b","labels":{"team":"pod-only"}},"totalCost":1}}]})",
                               options);
  CHECK(ns_row(s, "ns").labels == std::vector<std::string>{"ns-team"});
  CHECK(ns_row(s, "bare").labels == std::vector<std::string>{""});  // the namespace has none
  auto pod_a = std::find_if(s.pods.begin(), s.pods.end(), [](auto& p) { return p.pod == "a"; });
  REQUIRE(pod_a != s.pods.end());
  CHECK(pod_a->labels == std::vector<std::string>{"pod-team"});
}

TEST_CASE("snapshot: each resource family includes its adjustment, so the families add up") {
  CostSeriesOptions options;
  // totalCost = sum of (cost + adjustment) per resource + shared + external
  // (OpenCost core/pkg/opencost/allocation.go TotalCost).
  CostSnapshot s = snapshot_of(R"({"data":[{"ns":{"properties":{"namespace":"ns"},
    "cpuCost":1,"cpuCostAdjustment":0.5,"ramCost":2,"ramCostAdjustment":-0.25,
    "gpuCost":0,"gpuCostAdjustment":0.125,"pvCost":null,"pvCostAdjustment":1,
    "networkCost":0.5,"networkCostAdjustment":0.5,"loadBalancerCost":1,"loadBalancerCostAdjustment":-1,
    "sharedCost":0.25,"externalCost":0.75,"totalCost":6.375}}]})",
                               options);
  const auto& ns = ns_row(s, "ns");
  CHECK(ns.acc.cost_of(CostFamily::cpu) == 1.5);
  CHECK(ns.acc.cost_of(CostFamily::ram) == 1.75);
  CHECK(ns.acc.cost_of(CostFamily::gpu) == 0.125);
  CHECK(ns.acc.cost_of(CostFamily::pv) == 1);  // null cost, present adjustment
  CHECK(ns.acc.cost_of(CostFamily::network) == 1);
  CHECK(ns.acc.cost_of(CostFamily::lb) == 0);
  double sum = 0;
  for (std::size_t f = 1; f < k_cost_family_count; ++f) sum += ns.acc.cost[f];
  CHECK(sum == Approx(ns.acc.cost_of(CostFamily::total)));
}

TEST_CASE("snapshot: the rate divisor is the span the allocations' own start/end cover") {
  CostSeriesOptions options;
  // The set window is 00:00-02:00 but Kubecost's data ends at 01:30 (it lags the clock).
  std::string body =
      std::string(R"({"data":[{"a":{)") + k_window +
      R"(,"start":"2024-01-01T00:00:00Z","end":"2024-01-01T01:30:00Z","totalCost":3},)" +
      R"("b":{)" + k_window +
      R"(,"start":"2024-01-01T00:30:00Z","end":"2024-01-01T01:00:00Z","totalCost":1}}]})";
  CHECK(snapshot_of(body, options, 2e9).window_hours == Approx(1.5));
  // Without start/end: the set window, as before.
  std::string bare = std::string(R"({"data":[{"a":{)") + k_window + R"(,"totalCost":3}}]})";
  CHECK(snapshot_of(bare, options, 2e9).window_hours == Approx(2.0));
}

TEST_CASE("snapshot: multiCluster keeps same-named namespaces apart and reconciles per cluster") {
  CostSeriesOptions options;
  options.multi_cluster = true;
  options.pod_metrics = true;
  options.top_n_pods = 1;
  CostSnapshot s = snapshot_of(R"({"data":[{
    "c1/default/p":{"properties":{"cluster":"c1","namespace":"default","pod":"p"},"totalCost":1,"cpuCost":1},
    "c1/default/q":{"properties":{"cluster":"c1","namespace":"default","pod":"q"},"totalCost":2,"cpuCost":2},
    "c2/default/p":{"properties":{"cluster":"c2","namespace":"default","pod":"p"},"totalCost":4,"cpuCost":4},
    "c2/web/w":{"properties":{"cluster":"c2","namespace":"web","pod":"w"},"totalCost":8,"cpuCost":8},
    "c1/__idle__":{"properties":{"cluster":"c1"},"totalCost":16,"cpuCost":16},
    "c2/__idle__":{"totalCost":32,"cpuCost":32}}]})",
                               options);
  REQUIRE(s.clusters.size() == 2);
  CHECK(s.clusters[0].name == "c1");
  CHECK(s.clusters[1].name == "c2");
  REQUIRE(s.namespaces.size() == 3);
  CHECK(s.namespaces[0].cluster == "c1");
  CHECK(s.namespaces[0].acc.cost_of(CostFamily::total) == 3);
  CHECK(s.namespaces[1].cluster == "c2");
  CHECK(s.namespaces[1].namespace_name == "default");
  CHECK(s.namespaces[1].acc.cost_of(CostFamily::total) == 4);
  CHECK(s.clusters[0].idle.cost_of(CostFamily::total) == 16);
  CHECK(s.clusters[1].idle.cost_of(CostFamily::total) == 32);  // cluster from the key
  for (const auto& c : s.clusters) {
    for (CostFamily f : {CostFamily::total, CostFamily::cpu}) {
      double sum = c.idle.cost_of(f);
      for (const auto& row : s.namespaces)
        if (row.cluster == c.name) sum += row.acc.cost_of(f);
      INFO(c.name);
      CHECK(sum == c.total.cost_of(f));
    }
  }
  CHECK(s.clusters[0].total.cost_of(CostFamily::total) == 19);
  CHECK(s.clusters[1].total.cost_of(CostFamily::total) == 44);
  // Pods: top 1 overall, the rest in one __other__ per (cluster, namespace).
  for (const auto& row : s.namespaces) {
    double sum = 0;
    for (const auto& p : s.pods)
      if (p.cluster == row.cluster && p.namespace_name == row.namespace_name)
        sum += p.acc.cost_of(CostFamily::total);
    CHECK(sum == row.acc.cost_of(CostFamily::total));
  }
}

TEST_CASE("snapshot: rows are ordered by cluster, namespace and pod, whatever order they came in") {
  // Arrival order is the reverse of every key; with multiCluster the cluster comes first even
  // where the namespace names sort the other way.
  const std::string body = R"({"data":[{
    "c2/a/p":{"properties":{"cluster":"c2","namespace":"a","pod":"p"},"totalCost":1},
    "c1/z/q":{"properties":{"cluster":"c1","namespace":"z","pod":"q"},"totalCost":2},
    "c1/z/b":{"properties":{"cluster":"c1","namespace":"z","pod":"b"},"totalCost":3},
    "c1/m/x":{"properties":{"cluster":"c1","namespace":"m","pod":"x"},"totalCost":4}}]})";
  const auto names = [](const std::vector<CostRow>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.cluster + "/" + r.namespace_name + "/" + r.pod);
    return out;
  };
  CostSeriesOptions options;
  options.pod_metrics = true;
  options.top_n_pods = 10;
  options.multi_cluster = true;
  const CostSnapshot multi = snapshot_of(body, options);
  CHECK(names(multi.namespaces) == std::vector<std::string>{"c1/m/", "c1/z/", "c2/a/"});
  std::vector<std::string> pods;
  for (const auto& p : names(multi.pods))
    if (!p.ends_with("__other__")) pods.push_back(p);
  CHECK(pods == std::vector<std::string>{"c1/m/x", "c1/z/b", "c1/z/q", "c2/a/p"});
  options.multi_cluster = false;  // one cluster: the namespaces' names alone
  const CostSnapshot single = snapshot_of(body, options);
  REQUIRE(single.namespaces.size() == 3);
  CHECK(single.namespaces[0].namespace_name == "a");
  CHECK(single.namespaces[1].namespace_name == "m");
  CHECK(single.namespaces[2].namespace_name == "z");
}

// multiCluster: each cluster's costs are divided by the span its own data covers (a federated
// cluster whose data lags is not diluted by the others' hours), and idle the answer did not split
// by cluster is kept out of every cluster and counted.
#include <catch2/catch.hpp>

#include <string>

#include "exporter/kubecost/answer_source.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/serve/poller.hpp"
#include "fake_env.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::series_of;

namespace {

// The set window of every allocation below: one day.
constexpr const char* k_day =
    R"("window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"})";
constexpr const char* k_start = "2024-01-01T00:00:00Z";
constexpr const char* k_full_end = "2024-01-02T00:00:00Z";  // cluster a: 24 h of data
constexpr const char* k_lag_end = "2024-01-01T14:00:00Z";   // cluster b: lags 10 h, 14 h of data
constexpr double k_full_hours = 24;
constexpr double k_lag_hours = 14;

// Cluster a's and cluster b's inputs (window totals).
constexpr double k_a_pod = 2.4, k_a_idle = 0.48, k_a_cores = 2;
constexpr double k_b_pod = 1.0, k_b_idle = 0.4588, k_b_cores = 3;
constexpr double k_a_red = 1.5, k_b_red = 0.7;  // label team=red, per cluster

std::string num(double v) {
  std::string out;
  append_sample_value(out, v);
  return out;
}

// One allocation of `aggregate=cluster,namespace,pod` (or of an idle) in JSON. `cluster` goes in
// properties.cluster unless empty; the data covers [k_start, end] with `cores` requested.
std::string alloc(const std::string& name, const std::string& cluster, const std::string& ns,
                  const std::string& pod, const char* end, double total, double cores = -1) {
  std::string props;
  if (!cluster.empty()) props += R"("cluster":")" + cluster + '"';
  if (!ns.empty()) props += (props.empty() ? "" : ",") + std::string(R"("namespace":")") + ns + '"';
  if (!pod.empty()) props += R"(,"pod":")" + pod + '"';
  std::string out = '"' + name + R"(":{"properties":{)" + props + "}," + k_day + R"(,"start":")" +
                    k_start + R"(","end":")" + end + R"(","totalCost":)" + num(total) +
                    R"(,"cpuCost":)" + num(total / 2) + R"(,"ramCost":)" + num(total / 2);
  if (cores >= 0) {
    // Running the whole span the cluster's data covers.
    const double minutes = (end == std::string(k_full_end) ? k_full_hours : k_lag_hours) * 60;
    out += R"(,"minutes":)" + num(minutes) + R"(,"cpuCoreRequestAverage":)" + num(cores);
  }
  return out + "}";
}

std::string answer(const std::vector<std::string>& allocations) {
  std::string out = R"({"code":200,"data":[{)";
  for (std::size_t i = 0; i < allocations.size(); ++i) out += (i ? "," : "") + allocations[i];
  return out + "}]}";
}

// Two clusters of a federation: a with a full day of data, b lagging 10 hours.
std::string federation() {
  return answer({alloc("a/default/p", "a", "default", "p", k_full_end, k_a_pod, k_a_cores),
                 alloc("a/__idle__", "a", "", "", k_full_end, k_a_idle),
                 alloc("b/default/p", "b", "default", "p", k_lag_end, k_b_pod, k_b_cores),
                 alloc("b/__idle__", "b", "", "", k_lag_end, k_b_idle)});
}

// The `aggregate=cluster,label:team` answer of the same poll.
std::string federation_by_team() {
  return answer({alloc("a/red", "a", "", "", k_full_end, k_a_red),
                 alloc("b/red", "b", "", "", k_lag_end, k_b_red)});
}

CostSeriesOptions federation_options() {
  CostSeriesOptions options;
  options.multi_cluster = true;
  options.pod_metrics = true;
  options.label_keys = {"team"};
  return options;
}

PollResult poll(const std::string& body, const std::string& by_team,
                const CostSeriesOptions& options) {
  AnswerSource source(body, 97);
  if (!by_team.empty()) source.set_label_answer("team", by_team);
  PollStages stages;
  auto r = run_poll(source, options, 2e9, stages);
  REQUIRE(r.ok());
  return std::move(r.value());
}

std::string cluster_labels(const std::string& cluster) {
  return R"({cluster=")" + cluster + R"(",tenant_id="",currency="USD"})";
}
// Namespace (or, with `pod`, pod) series carry label_team: "" here (no namespace label).
std::string ns_labels(const std::string& cluster, const std::string& pod = "") {
  return R"({cluster=")" + cluster + R"(",namespace="default")" +
         (pod.empty() ? "" : R"(,pod=")" + pod + '"') +
         R"(,tenant_id="",currency="USD",label_team=""})";
}

}  // namespace

TEST_CASE("per-cluster rates: each cluster is divided by the span its own data covers") {
  const PollResult r = poll(federation(), federation_by_team(), federation_options());
  const auto s = series_of(std::string(r.costs->text()));
  struct Cluster {
    const char* name;
    double hours, pod, idle, cores, red;
  };
  for (const Cluster& c : {Cluster{"a", k_full_hours, k_a_pod, k_a_idle, k_a_cores, k_a_red},
                           Cluster{"b", k_lag_hours, k_b_pod, k_b_idle, k_b_cores, k_b_red}}) {
    INFO("cluster " << c.name);
    const std::string n = c.name;
    CHECK(s.at("cloudtuner_kubecost_cluster_total_cost" + cluster_labels(n)) ==
          Approx((c.pod + c.idle) / c.hours));
    CHECK(s.at("cloudtuner_kubecost_cluster_cpu_cost" + cluster_labels(n)) ==
          Approx((c.pod + c.idle) / 2 / c.hours));
    CHECK(s.at("cloudtuner_kubecost_idle_total_cost" + cluster_labels(n)) ==
          Approx(c.idle / c.hours));
    CHECK(s.at("cloudtuner_kubecost_namespace_total_cost" + ns_labels(n)) ==
          Approx(c.pod / c.hours));
    CHECK(s.at("cloudtuner_kubecost_namespace_ram_cost" + ns_labels(n)) ==
          Approx(c.pod / 2 / c.hours));
    CHECK(s.at("cloudtuner_kubecost_pod_total_cost" + ns_labels(n, "p")) ==
          Approx(c.pod / c.hours));
    CHECK(
        s.at(
            R"(cloudtuner_kubecost_label_total_cost{label_key="team",label_value="red",cluster=")" +
            n + R"(",tenant_id="",currency="USD"})") == Approx(c.red / c.hours));
    // Averages are over the cluster's own span too: the pod ran all of it.
    CHECK(s.at(R"(cloudtuner_kubecost_namespace_cpu_request_cores{cluster=")" + n +
               R"(",namespace="default",tenant_id="",label_team=""})") == Approx(c.cores));
  }
  // The lagging cluster of the issue: 1.4588 over its 14 hours is 0.1042/h (not 1.4588/24).
  CHECK(s.at("cloudtuner_kubecost_cluster_total_cost" + cluster_labels("b")) ==
        Approx(0.1042).margin(5e-5));
  // The top namespaces are in the unit of the series: b's default over b's span.
  bool found_b = false;
  for (const auto& [ns, v] : r.top_namespaces)
    if (ns == "default" && v == Approx(k_b_pod / k_lag_hours)) found_b = true;
  CHECK(found_b);
  // The overall span (the health series) is the longest: a's full day.
  CHECK(r.window_hours == Approx(k_full_hours));
}

TEST_CASE("per-cluster rates: total mode is not divided; only the averages use the span") {
  CostSeriesOptions options = federation_options();
  options.metric_mode = MetricMode::total;
  const auto s = series_of(std::string(poll(federation(), "", options).costs->text()));
  CHECK(s.at("cloudtuner_kubecost_cluster_total_cost" + cluster_labels("b")) ==
        Approx(k_b_pod + k_b_idle));
  CHECK(s.at(R"(cloudtuner_kubecost_cluster_cpu_request_cores{cluster="b",tenant_id=""})") ==
        Approx(k_b_cores));
}

TEST_CASE("per-cluster rates: without multiCluster one span, the data's, divides every row") {
  // The same spans in one cluster: namespace x has a full day of data, y only 14 hours. The one
  // divisor is the span the whole answer covers, as before multiCluster rates existed.
  CostSeriesOptions options;
  options.cluster_name = "solo";
  options.label_keys = {"team"};
  const std::string body = answer({alloc("x", "", "x", "", k_full_end, k_a_pod),
                                   alloc("y", "", "y", "", k_lag_end, k_b_pod),
                                   alloc("__idle__", "", "", "", k_lag_end, k_b_idle)});
  const PollResult r = poll(body, answer({alloc("red", "", "", "", k_lag_end, k_b_red)}), options);
  const auto s = series_of(std::string(r.costs->text()));
  const auto ns = [](const char* n) {
    return std::string(R"({cluster="solo",namespace=")") + n +
           R"(",tenant_id="",currency="USD",label_team=""})";
  };
  CHECK(s.at("cloudtuner_kubecost_namespace_total_cost" + ns("x")) ==
        Approx(k_a_pod / k_full_hours));
  CHECK(s.at("cloudtuner_kubecost_namespace_total_cost" + ns("y")) ==
        Approx(k_b_pod / k_full_hours));
  CHECK(s.at("cloudtuner_kubecost_idle_total_cost" + cluster_labels("solo")) ==
        Approx(k_b_idle / k_full_hours));
  CHECK(s.at("cloudtuner_kubecost_cluster_total_cost" + cluster_labels("solo")) ==
        Approx((k_a_pod + k_b_pod + k_b_idle) / k_full_hours));
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_label_total_cost{label_key="team",label_value="red",cluster="solo",tenant_id="",currency="USD"})") ==
      Approx(k_b_red / k_full_hours));
  CHECK(r.window_hours == Approx(k_full_hours));
}

TEST_CASE("per-cluster rates: idle the server did not split by cluster is in no cluster") {
  // A server that ignores splitIdle (OpenCost, older Kubecost) answers one `__idle__` for the
  // whole federation: no cluster is named `__idle__`, and each cluster is its namespaces.
  const double unsplit = 5;
  const std::string body = answer({alloc("a/default/p", "a", "default", "p", k_full_end, k_a_pod),
                                   alloc("b/default/p", "b", "default", "p", k_lag_end, k_b_pod),
                                   alloc("__idle__", "", "", "", k_full_end, unsplit)});
  const PollResult r = poll(body, "", federation_options());
  const std::string text(r.costs->text());
  CHECK(text.find(R"(cluster="__idle__")") == std::string::npos);
  const auto s = series_of(text);
  CHECK(s.at("cloudtuner_kubecost_cluster_total_cost" + cluster_labels("a")) ==
        Approx(k_a_pod / k_full_hours));
  CHECK(s.at("cloudtuner_kubecost_idle_total_cost" + cluster_labels("a")) == 0);
  CHECK(s.at("cloudtuner_kubecost_idle_total_cost" + cluster_labels("b")) == 0);
  // Counted, with its window total for the warning.
  CHECK(r.unsplit_idle_dropped == 1);
  CHECK(r.unsplit_idle_cost == unsplit);
}

TEST_CASE("per-cluster rates: unsplit idle that keeps properties.cluster is that cluster's") {
  // One cluster behind a server that ignores splitIdle: the merged `__idle__` keeps the
  // cluster it was merged over (a merge intersects properties), so it is not dropped.
  const double idle = 3;
  const std::string body = answer({alloc("a/default/p", "a", "default", "p", k_full_end, k_a_pod),
                                   alloc("__idle__", "a", "", "", k_full_end, idle)});
  const PollResult r = poll(body, "", federation_options());
  const auto s = series_of(std::string(r.costs->text()));
  CHECK(r.unsplit_idle_dropped == 0);
  CHECK(s.at("cloudtuner_kubecost_idle_total_cost" + cluster_labels("a")) ==
        Approx(idle / k_full_hours));
  CHECK(s.count("cloudtuner_kubecost_idle_total_cost" + cluster_labels("__idle__")) == 0);
}

TEST_CASE("per-cluster rates: the poller counts unsplit idle in a self-metric, every poll",
          "[threads]") {
  const std::string body = answer({alloc("a/default/p", "a", "default", "p", k_full_end, k_a_pod),
                                   alloc("__idle__", "", "", "", k_full_end, 5)});
  const CostSeriesOptions series = federation_options();
  // The answer of one poll, fed whole.
  class Fixed : public AllocationSource {
   public:
    explicit Fixed(std::string body) : m_body(std::move(body)) {}
    Expected<void> fetch(BodySink& sink) override {
      sink.begin();
      if (!sink.write(m_body)) return sink_refused();
      return {};
    }

   private:
    std::string m_body;
  } source(body);
  PollerOptions polling;
  MetricsPublisher publisher;
  SelfMetricsOptions self;
  self.multi_cluster = true;
  SelfMetrics metrics(self);
  kci::test::FakeEnv env;
  env.set_wall_unix_seconds(2e9);
  Poller poller(polling, series, publisher, source, metrics, env);
  poller.poll_once();
  poller.poll_once();
  const std::string name = "cloudtuner_kubecost_exporter_unsplit_idle_dropped_total";
  CHECK(series_of(metrics.render()).at(name) == 2);
  // Without multiCluster the family does not exist (there is no cluster to split idle by).
  CHECK(series_of(SelfMetrics(SelfMetricsOptions{}).render()).count(name) == 0);
}

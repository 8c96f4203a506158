#include "exporter/serve/self_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "exporter/telemetry/process_metrics.hpp"
#include "exporter/telemetry/text_serializer.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr const char* k_prefix = "cloudtuner_kubecost_exporter_";

std::string name(const char* suffix) { return std::string(k_prefix) + suffix; }

std::string compiler_name() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

// From 5 ms (a small demo poll's render) to 2 min (a large cluster's fetch at the deadline).
const prometheus::Histogram::BucketBoundaries& stage_buckets() {
  static const prometheus::Histogram::BucketBoundaries b = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return b;
}

}  // namespace

SelfMetrics::SelfMetrics(const SelfMetricsOptions& options)
    : m_registry(std::make_shared<prometheus::Registry>()) {
  auto& r = *m_registry;
  auto gauge = [&](const char* suffix, const char* help) -> prometheus::Gauge& {
    return prometheus::BuildGauge().Name(name(suffix)).Help(help).Register(r).Add({});
  };
  m_duration = &gauge("scrape_duration_seconds", "Duration of the last Kubecost poll in seconds.");
  m_success =
      &gauge("scrape_success", "Whether the last Kubecost poll succeeded (1) or failed (0).");
  auto& errors = prometheus::BuildCounter()
                     .Name(name("scrape_errors_total"))
                     .Help("Failed Kubecost polls by reason.")
                     .Register(r);
  for (std::size_t i = 0; i < k_poll_failure_reason_count; ++i)
    m_errors[i] = &errors.Add({{"reason", std::string(to_string(static_cast<FailureReason>(i)))}});
  m_last_success = &gauge("last_success_timestamp_seconds",
                          "Unix time of the last successful Kubecost poll (0 before the first).");
  m_series = &gauge("series_count", "Number of cost series currently exported.");
  m_window_seconds = &gauge("data_window_seconds",
                            "Span the data of the last good poll covers, from the allocations' own "
                            "start/end; rate mode divides window totals by it in hours.");
  if (options.leader_election)
    m_leader = &gauge("leader",
                      "Whether this replica holds the leader-election Lease and so polls Kubecost "
                      "and exports the cost series (1) or follows (0).");
  if (options.multi_cluster)
    m_unsplit_idle = &prometheus::BuildCounter()
                          .Name(name("unsplit_idle_dropped_total"))
                          .Help(
                              "Idle allocations left out of every cluster because Kubecost's "
                              "answer did not split idle by cluster (`__idle__` with no cluster: "
                              "the server ignores splitIdle=true).")
                          .Register(r)
                          .Add({});
  auto& stages = prometheus::BuildHistogram()
                     .Name(name("poll_duration_seconds"))
                     .Help(
                         "Seconds each stage of a Kubecost poll took: fetch (HTTP, retries "
                         "included), parse (JSON to snapshot), render (exposition and gzip).")
                     .Register(r);
  const char* stage_names[] = {"fetch", "parse", "render"};
  for (std::size_t i = 0; i < m_stages.size(); ++i)
    m_stages[i] = &stages.Add({{"stage", stage_names[i]}}, stage_buckets());
  m_retries = &prometheus::BuildCounter()
                   .Name(name("kubecost_retries_total"))
                   .Help(
                       "Extra attempts the Kubecost client made after a timeout, a connection "
                       "error or a 5xx.")
                   .Register(r)
                   .Add({});
  m_requests = &prometheus::BuildCounter()
                    .Name(name("http_requests_total"))
                    .Help(
                        "Requests to this exporter's HTTP endpoints by handler and status "
                        "code.")
                    .Register(r);
  m_auth_refused = &prometheus::BuildCounter()
                        .Name(name("auth_checks_refused_total"))
                        .Help(
                            "Basic-auth checks answered 503 without running bcrypt because the "
                            "check queue, or the client host's share of it, was full.")
                        .Register(r)
                        .Add({});
  prometheus::BuildGauge()
      .Name(name("info"))
      .Help("Exporter version and configuration.")
      .Register(r)
      .Add({{"version", EXPORTER_VERSION},
            {"kubecost_url", redact_url(options.kubecost_url)},
            {"aggregation_level", options.aggregation_level},
            {"window", options.window},
            {"cluster_name", options.cluster_name}})
      .Set(1);
  // As every Prometheus exporter's <name>_build_info (kube-state-metrics, node_exporter).
  prometheus::BuildGauge()
      .Name(name("build_info"))
      .Help("Build facts of this exporter: version and the compiler that built it; always 1.")
      .Register(r)
      .Add({{"version", EXPORTER_VERSION}, {"compiler", compiler_name()}})
      .Set(1);
}

SelfMetrics::~SelfMetrics() = default;

void SelfMetrics::record_poll(const PollStages& stages, const Failure* failure, double now) {
  m_duration->Set(stages.fetch + stages.parse + stages.render);
  m_success->Set(failure ? 0 : 1);
  if (failure && failure->reason == FailureReason::cancelled) {
    // Shutting down: the poll was stopped, not failed. Counted nowhere.
  } else if (failure) {
    const auto i = static_cast<std::size_t>(failure->reason);
    m_errors[i < m_errors.size() ? i : static_cast<std::size_t>(FailureReason::internal)]
        ->Increment();
  } else {
    m_last_success->Set(now);
  }
  m_stages[0]->Observe(stages.fetch);
  if (stages.parse > 0 || !failure) m_stages[1]->Observe(stages.parse);
  if (stages.render > 0 || !failure) m_stages[2]->Observe(stages.render);
}

void SelfMetrics::record_retries_total(std::uint64_t total) {
  if (total > m_retries_seen) m_retries->Increment(static_cast<double>(total - m_retries_seen));
  m_retries_seen = std::max(m_retries_seen, total);
}

void SelfMetrics::set_leader(bool leading) {
  if (m_leader) m_leader->Set(leading ? 1 : 0);
}

void SelfMetrics::set_series_count(std::size_t series) {
  m_series->Set(static_cast<double>(series));
}

void SelfMetrics::set_window_hours(double hours) { m_window_seconds->Set(hours * 3600.0); }

void SelfMetrics::record_unsplit_idle_dropped(std::size_t allocations) {
  if (m_unsplit_idle && allocations > 0)
    m_unsplit_idle->Increment(static_cast<double>(allocations));
}

void SelfMetrics::record_http_request(std::string_view handler, int status) {
  m_requests->Add({{"handler", std::string(handler)}, {"code", std::to_string(status)}})
      .Increment();
}

void SelfMetrics::record_auth_refused() { m_auth_refused->Increment(); }

std::string SelfMetrics::render() const { return serialize_text(*m_registry); }

std::string SelfMetrics::render_live() const {
  return serialize_text(*m_registry, process_families(read_process_stats()));
}

}  // namespace kci

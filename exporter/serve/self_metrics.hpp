#pragma once
// Serve mode's own metrics (the `cloudtuner_kubecost_exporter_*` families) in a prometheus-cpp
// registry, rendered by the telemetry serializer at every /metrics request (render_live, with the
// standard process_* families), after the cost text that is pre-rendered once per poll. A
// counter read right after a request therefore already shows it.
//
// Families:
//   _scrape_duration_seconds          gauge      the last poll, all stages
//   _scrape_success                   gauge      1 when the last poll succeeded
//   _scrape_errors_total{reason}      counter    failed polls by FailureReason (poll reasons)
//   _last_success_timestamp_seconds   gauge      Unix time of the last good poll
//   _series_count                     gauge      cost series currently exported
//   _data_window_seconds              gauge      span the last good poll's data covers (the
//                                                 rate divisor in rate mode, in hours). With
//                                                 multiCluster every cluster's together (from
//                                                 the earliest start to the latest end): each
//                                                 cluster's rows divide by its own span
//                                                 (cost_snapshot.hpp), not shown here
//   _unsplit_idle_dropped_total       counter    idle allocations left out of every cluster
//                                                 because the answer did not split idle by
//                                                 cluster (a server that ignores splitIdle);
//                                                 only with multiCluster
//   _poll_duration_seconds{stage}     histogram  fetch | parse | render, per poll
//   _kubecost_retries_total           counter    extra attempts the HTTP client made
//   _http_requests_total{handler,code} counter   requests to our own endpoints (this one not
//                                                 yet counted: it is counted once answered)
//   _auth_checks_refused_total        counter    basic-auth checks answered 503 without bcrypt
//                                                 (the check queue, or the client host's share
//                                                 of it, was full: web_server.hpp)
//   _leader                           gauge      1 on the Lease holder, 0 on a follower (only
//                                                 with leaderElection.enabled)
//   _info{version,kubecost_url,aggregation_level,window,cluster_name} gauge = 1
//   _build_info{version,compiler}     gauge = 1
// render_live() adds process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds
// (telemetry/process_metrics.hpp).
//
// Thread-safety: record_* may be called from any thread (prometheus-cpp's metrics are atomic);
// render() reads a consistent-enough snapshot for a gauge/counter exposition.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "exporter/serve/poll.hpp"
#include "exporter/serve/self_metrics_options.hpp"
#include "exporter/util/result.hpp"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace kci {

class SelfMetrics {
 public:
  explicit SelfMetrics(const SelfMetricsOptions& options);
  ~SelfMetrics();
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;

  // One finished poll: its stages, and the failure that ended it (none on success).
  // `now` is the Unix time of a successful poll.
  void record_poll(const PollStages& stages, const Failure* failure, double now);
  // Cumulative retries of the Kubecost client; the counter follows it (never goes down).
  void record_retries_total(std::uint64_t total);
  void set_series_count(std::size_t series);
  void set_window_hours(double hours);  // shown as _data_window_seconds
  // Unsplit idle allocations one poll left out (multiCluster; no-op without it).
  void record_unsplit_idle_dropped(std::size_t allocations);
  // Leader election on: 1 when this replica leads (no-op when election is off).
  void set_leader(bool leading);
  // One request to our own HTTP server. `handler` is the route ("/metrics", ..., "other").
  void record_http_request(std::string_view handler, int status);
  // One basic-auth check refused because the bcrypt queue was full (answered 503).
  void record_auth_refused();

  // Text format 0.0.4 of every family above (deterministic: the golden test's input).
  std::string render() const;
  // render() followed by the process_* families read now: what /metrics serves.
  std::string render_live() const;

 private:
  std::shared_ptr<prometheus::Registry> m_registry;
  prometheus::Gauge* m_duration;
  prometheus::Gauge* m_success;
  std::array<prometheus::Counter*, k_poll_failure_reason_count> m_errors{};
  prometheus::Gauge* m_last_success;
  prometheus::Gauge* m_series;
  prometheus::Gauge* m_window_seconds;
  prometheus::Gauge* m_leader = nullptr;
  prometheus::Counter* m_unsplit_idle = nullptr;
  std::array<prometheus::Histogram*, 3> m_stages{};
  prometheus::Counter* m_retries;
  std::uint64_t m_retries_seen = 0;
  prometheus::Family<prometheus::Counter>* m_requests;
  prometheus::Counter* m_auth_refused;
};

}  // namespace kci

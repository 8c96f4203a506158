#pragma once
// The poll loop: run_poll (serve/poll.hpp: fetch, parse, snapshot, label answers, render), then
// publish, every scrapeInterval plus jitter. A failed poll keeps the last good cost series for
// at most maxStaleness, then drops them and keeps only the health series; the next good poll
// brings them back. While the answers are "no data yet" (only `null` sets for a window of at most
// 1h) they are kept for max(maxStaleness, the window's length). Nothing thrown on the poll thread
// escapes it: an exception is logged and counted as reason="internal", and the loop goes on.
//
// With leader election (leaderElection.enabled) only the leader polls: a follower makes no
// request to Kubecost and publishes the health series only (with _leader 0); set_leadership()
// from the elector's thread withdraws the cost series at once on losing leadership, and on
// gaining it wakes the loop to poll at once instead of waiting out the interval. A poll that
// finishes after leadership was lost is discarded. Without election the poller always leads.
//
// Time comes from an Env (util/env.hpp): intervals, the staleness deadline and a series' age on
// the monotonic clock, so a step of the system clock neither keeps stale series nor drops
// fresh ones; the wall clock only for the timestamps published (last success, snapshot time).
//
// With multiCluster, idle the answer did not split by cluster (cost_snapshot.hpp) is counted in
// _unsplit_idle_dropped_total and logged at warning once per poll that had any.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "exporter/kubecost/allocation_source.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/metrics_publisher.hpp"
#include "exporter/serve/poller_options.hpp"
#include "exporter/serve/self_metrics.hpp"
#include "exporter/util/env.hpp"

namespace kci {

// What the elector tells the poller (and the landing page shows).
struct Leadership {
  bool leading = false;
  std::string holder;    // the Lease's holderIdentity as last observed ("" = none)
  std::string identity;  // ours
};

class Poller {
 public:
  // `options`: when to poll and how long series are kept; `cost_series`: what each poll builds
  // (its label keys are the label answers fetched; its window names "no data yet" and bounds
  // how long series are kept while the answers say so); `env`: the clocks and the waits (a fake
  // in tests); it must outlive the poller.
  Poller(const PollerOptions& options, const CostSeriesOptions& cost_series,
         MetricsPublisher& publisher, AllocationSource& source, SelfMetrics& metrics,
         Env& env = Env::system());
  ~Poller();

  void start();  // runs the loop on its own thread
  void stop();   // wakes and joins the loop; cancels a request in flight

  // One poll, synchronously (the loop calls this; tests call it directly). Never throws.
  void poll_once();
  // Drops the cost series if the last good poll is older than maxStaleness.
  void expire_if_stale();
  // Thread-safe (the elector's thread). See the header comment.
  void set_leadership(const Leadership& leadership);

 private:
  void run();
  void poll_and_publish();
  // multiCluster: a good poll's unsplit idle, counted and logged once at warning.
  void report_unsplit_idle(const PollResult& result);
  void publish();                  // m_state_mutex held
  void expire_locked();            // m_state_mutex held
  double staleness_limit() const;  // seconds the last good series are kept

  const PollerOptions m_options;
  const CostSeriesOptions m_series_options;
  MetricsPublisher& m_publisher;
  AllocationSource& m_source;
  SelfMetrics& m_metrics;
  Env& m_env;
  std::shared_ptr<const CostExposition> m_cost_text;  // last good, until stale
  std::size_t m_cost_series = 0;
  double m_last_good = 0;                 // wall, Unix seconds: published only
  Env::MonoTime m_last_good_monotonic{};  // the same moment: the series' age counts from it
  bool m_last_ok = false;
  bool m_no_data_yet = false;  // the last poll was FailureReason::no_data_yet
  std::string m_last_error;
  std::string m_last_failure_reason;
  std::vector<std::pair<std::string, double>> m_top_namespaces;
  std::mt19937_64 m_rng;
  bool m_election = false;
  Leadership m_leadership;  // guarded by m_state_mutex
  std::atomic<bool> m_leading{true};

  // Guards the published state above (poll thread and elector thread). Lock order: m_mutex
  // before m_state_mutex.
  std::mutex m_state_mutex;

  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  bool m_poll_now = false;  // leadership gained: poll without waiting
  std::thread m_thread;
};

}  // namespace kci

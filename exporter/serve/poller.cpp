#include "exporter/serve/poller.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "exporter/serve/poll.hpp"
#include "exporter/util/deflate_stream.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

Poller::Poller(const PollerOptions& options, const CostSeriesOptions& cost_series,
               MetricsPublisher& publisher, AllocationSource& source, SelfMetrics& metrics,
               Env& env)
    : m_options(options),
      m_series_options(cost_series),
      m_publisher(publisher),
      m_source(source),
      m_metrics(metrics),
      m_env(env),
      m_rng(std::random_device{}()),
      m_election(m_options.leader_election),
      m_leading(!m_options.leader_election) {
  m_leadership.leading = !m_election;
  std::lock_guard state(m_state_mutex);
  publish();  // health series from the start, readyz 503
}

void Poller::set_leadership(const Leadership& leadership) {
  {
    std::lock_guard state(m_state_mutex);
    const bool lost = m_leadership.leading && !leadership.leading;
    m_leadership = leadership;
    // Losing counts at once (a poll finishing now is discarded); gaining is stored below with
    // m_poll_now, so the loop never sees a new leader without its one immediate poll pending
    // (else a late wake-up polls, then the pending flag polls again).
    if (!leadership.leading) m_leading.store(false);
    if (lost && m_cost_text) {
      log::info("cost series withdrawn: this replica no longer leads",
                {{"leader", leadership.holder}});
      m_cost_text.reset();
      m_cost_series = 0;
      m_top_namespaces.clear();
    }
    publish();
  }
  {
    std::lock_guard lock(m_mutex);
    if (leadership.leading && !m_leading.load()) {
      m_leading.store(true);
      m_poll_now = true;
    }
  }
  m_cv.notify_all();
}

Poller::~Poller() { stop(); }

void Poller::start() {
  m_thread = std::thread([this] { run(); });
}

void Poller::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_source.cancel();
  if (m_thread.joinable()) m_thread.join();
}

void Poller::run() {
  using namespace std::chrono;
  while (true) {
    {
      // A follower does not poll: it waits for leadership (or stop).
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stopping || m_leading.load(); });
      if (m_stopping) return;
      m_poll_now = false;
    }
    poll_once();
    auto jitter_ms = m_options.scrape_jitter_max.count() > 0
                         ? std::uniform_int_distribution<long long>(
                               0, m_options.scrape_jitter_max.count())(m_rng)
                         : 0;
    auto next = m_env.monotonic_now() + m_options.scrape_interval + milliseconds(jitter_ms);
    std::unique_lock lock(m_mutex);
    while (!m_stopping && !m_poll_now && m_env.monotonic_now() < next) {
      // Wake at the staleness deadline too, so stale series go on time between polls.
      auto wake = next;
      std::optional<Env::MonoTime> stale_at;
      {
        std::lock_guard state(m_state_mutex);
        if (m_cost_text)
          stale_at = m_last_good_monotonic +
                     duration_cast<Env::MonoTime::duration>(duration<double>(staleness_limit()));
      }
      if (stale_at)
        wake = std::min(next, std::max(*stale_at, m_env.monotonic_now()) + milliseconds(10));
      m_env.wait_until(m_cv, lock, wake, [&] { return m_stopping || m_poll_now; });
      lock.unlock();
      expire_if_stale();
      lock.lock();
    }
    if (m_stopping) return;
  }
}

void Poller::poll_once() {
  try {
    poll_and_publish();
  } catch (const std::exception& e) {
    const Failure f{FailureReason::internal, one_line(std::string("exception: ") + e.what())};
    m_metrics.record_poll({}, &f, m_env.wall_unix_seconds());
    log::error("kubecost poll failed", {{"reason", to_string(f.reason)}, {"error", f.message}});
    std::lock_guard state(m_state_mutex);
    m_last_ok = false;
    m_last_error = f.message;
    m_last_failure_reason = to_string(f.reason);
    publish();
  } catch (...) {
    const Failure f{FailureReason::internal, "unknown exception"};
    m_metrics.record_poll({}, &f, m_env.wall_unix_seconds());
    log::error("kubecost poll failed", {{"reason", to_string(f.reason)}, {"error", f.message}});
    std::lock_guard state(m_state_mutex);
    m_last_ok = false;
    m_last_error = f.message;
    m_last_failure_reason = to_string(f.reason);
    publish();
  }
}

void Poller::poll_and_publish() {
  const auto t0 = std::chrono::steady_clock::now();
  PollStages stages;
  std::optional<Failure> failure;
  PollResult result;
  bool rendered = false;
  {
    auto polled = run_poll(m_source, m_series_options, m_env.wall_unix_seconds(), stages);
    m_metrics.record_retries_total(m_source.retries_total());
    if (polled.ok()) {
      result = std::move(polled.value());
      m_metrics.set_window_hours(result.window_hours);
      report_unsplit_idle(result);
      rendered = true;
    } else {
      failure = polled.failure();
    }
  }
  std::unique_lock state(m_state_mutex);
  if (!m_leading.load()) {
    // Leadership was lost while this poll ran: its answer belongs to no one.
    log::info("poll result discarded: this replica no longer leads");
    return;
  }
  if (rendered) {
    m_cost_text = result.costs;
    m_cost_series = result.series;
    m_top_namespaces = std::move(result.top_namespaces);
    m_last_good = m_env.wall_unix_seconds();
    m_last_good_monotonic = m_env.monotonic_now();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m_metrics.record_poll(stages, failure ? &*failure : nullptr, m_last_good);
  m_last_ok = !failure;
  m_no_data_yet = failure && failure->reason == FailureReason::no_data_yet;
  if (m_no_data_yet) {
    m_last_error = failure->message;
    m_last_failure_reason = to_string(failure->reason);
    log::warn("kubecost has no data yet for the window", {{"reason", to_string(failure->reason)},
                                                          {"window", m_series_options.window.text},
                                                          {"error", failure->message},
                                                          {"duration_seconds", fixed(seconds, 3)}});
  } else if (failure) {
    m_last_error = failure->message;
    m_last_failure_reason = to_string(failure->reason);
    log::error("kubecost poll failed", {{"reason", to_string(failure->reason)},
                                        {"error", failure->message},
                                        {"duration_seconds", fixed(seconds, 3)}});
  } else {
    m_last_error.clear();
    m_last_failure_reason.clear();
    log::info("kubecost poll ok", {{"namespaces", std::to_string(result.namespaces)},
                                   {"allocations", std::to_string(result.allocations)},
                                   {"series", std::to_string(m_cost_series)},
                                   {"window_hours", fixed(result.window_hours, 3)},
                                   {"duration_seconds", fixed(seconds, 3)}});
  }
  expire_locked();
  publish();
  state.unlock();
}

void Poller::report_unsplit_idle(const PollResult& result) {
  if (result.unsplit_idle_dropped == 0) return;
  m_metrics.record_unsplit_idle_dropped(result.unsplit_idle_dropped);
  log::warn("unsplit idle left out of every cluster: the answer did not split idle by cluster",
            {{"allocations", std::to_string(result.unsplit_idle_dropped)},
             {"total_cost", fixed(result.unsplit_idle_cost, 4)},
             {"currency", m_series_options.currency},
             {"window", m_series_options.window.text},
             {"hint",
              "the server ignores splitIdle=true (OpenCost, older Kubecost): idle_ and cluster_ "
              "series leave this idle out"}});
}

double Poller::staleness_limit() const {
  const double limit = std::chrono::duration<double>(m_options.effective_max_staleness()).count();
  // While Kubecost answers "no data yet" for a short window, the last good series (the
  // previous hour) are kept for up to the window's length, not only maxStaleness: the
  // current hour is expected to be empty for minutes at a time (kubecost/kubecost#3758).
  return m_no_data_yet ? std::max(limit, m_series_options.window.nominal_hours * 3600.0) : limit;
}

void Poller::expire_if_stale() {
  std::lock_guard state(m_state_mutex);
  expire_locked();
}

void Poller::expire_locked() {
  if (!m_cost_text) return;
  const double age =
      std::chrono::duration<double>(m_env.monotonic_now() - m_last_good_monotonic).count();
  if (age <= staleness_limit()) return;
  log::warn("cost series dropped: no good poll within maxStaleness",
            {{"age_seconds", fixed(age, 0)},
             {"max_staleness", format_duration(m_options.effective_max_staleness())},
             {"no_data_yet", m_no_data_yet ? "true" : "false"}});
  m_cost_text.reset();
  m_cost_series = 0;
  m_top_namespaces.clear();
  publish();
}

void Poller::publish() {
  auto p = std::make_shared<Published>();
  m_metrics.set_series_count(m_cost_text ? m_cost_series : 0);
  if (m_election) m_metrics.set_leader(m_leadership.leading);
  p->costs = m_cost_text;
  p->ready = m_cost_text != nullptr;
  p->last_poll_ok = m_last_ok;
  p->last_error = m_last_error;
  p->last_failure_reason = m_last_failure_reason;
  p->last_success_timestamp = m_last_good;
  p->cost_series = m_cost_text ? m_cost_series : 0;
  p->top_namespaces = m_top_namespaces;
  p->election = m_election;
  p->leading = m_leadership.leading;
  p->leader_identity = m_leadership.holder;
  p->identity = m_leadership.identity;
  m_publisher.publish(std::move(p));
}

}  // namespace kci

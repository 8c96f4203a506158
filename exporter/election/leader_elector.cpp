#include "exporter/election/leader_elector.hpp"

#include <algorithm>

#include "exporter/util/logging.hpp"

namespace kci {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

LeaderElector::LeaderElector(LeaseLock& lock, ElectorConfig config, Env& env, Observer observer)
    : m_lock(lock),
      m_config(std::move(config)),
      m_env(env),
      m_observer(std::move(observer)),
      m_rng(std::random_device{}()) {}

LeaderElector::~LeaderElector() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_lock.interrupt();
  if (m_thread.joinable()) m_thread.join();
}

bool LeaderElector::leading() const {
  std::lock_guard lock(m_mutex);
  return m_leading;
}

std::string LeaderElector::holder() const {
  std::lock_guard lock(m_mutex);
  return m_observed.holder_identity;
}

// client-go isLeaseValid: observedTime + leaseDurationSeconds is after now.
bool LeaderElector::lease_valid(std::chrono::steady_clock::time_point now) const {
  return m_have_observed && m_observed_time + seconds(m_observed.lease_duration_seconds) > now;
}

// client-go setObservedRecord: the record and the local time we saw it (when the request that
// brought it returned).
void LeaderElector::observe(const LeaseRecord& record, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(m_mutex);
  m_observed = record;
  m_observed_time = now;
  m_have_observed = true;
}

// Time a request may take: the leader must be done by its renew deadline; a follower by one
// renew deadline (client-go runs acquisition under the caller's context, renewals under
// RenewDeadline).
milliseconds LeaderElector::budget() const {
  if (!m_leading) return m_config.renew_deadline;
  return duration_cast<milliseconds>(m_last_renew + m_config.renew_deadline -
                                     m_env.monotonic_now());
}

bool LeaderElector::try_acquire_or_renew(std::chrono::steady_clock::time_point now) {
  const SystemTime wall = m_env.wall_now();
  LeaseRecord desired;
  desired.holder_identity = m_config.identity;
  desired.lease_duration_seconds =
      static_cast<int>(duration_cast<seconds>(m_config.lease_duration).count());
  desired.acquire_time = wall;
  desired.renew_time = wall;

  // 1. Fast path: the leader updates the version it observed last.
  if (observed_self() && lease_valid(now)) {
    LeaseRecord renewal = desired;
    renewal.acquire_time = m_observed.acquire_time;
    renewal.lease_transitions = m_observed.lease_transitions;
    renewal.resource_version = m_observed.resource_version;
    const auto left = budget();
    if (left <= milliseconds(0)) return false;
    m_write_sent = m_env.monotonic_now();
    auto updated = m_lock.update(renewal, left);
    if (updated.ok()) {
      observe(updated.value(), m_env.monotonic_now());
      return true;
    }
    log::debug("lease fast-path renew failed, re-reading",
               {{"lease", m_lock.describe()}, {"error", updated.failure().message}});
  }

  // 2. Read, or create when missing.
  auto left = budget();
  if (left <= milliseconds(0)) return false;
  auto current = m_lock.get(left);
  // The answer is observed now, when it came back: the API server may have held the request
  // for seconds and written an answer the holder renewed just before (setObservedRecord).
  const auto returned = m_env.monotonic_now();
  if (!current.ok()) {
    if (current.failure().http_status != 404) {
      log::warn("cannot read the lease",
                {{"lease", m_lock.describe()}, {"error", current.failure().message}});
      return false;
    }
    left = budget();
    if (left <= milliseconds(0)) return false;
    m_write_sent = m_env.monotonic_now();
    auto created = m_lock.create(desired, left);
    if (!created.ok()) {
      log::info("cannot create the lease (another replica may have)",
                {{"lease", m_lock.describe()}, {"error", created.failure().message}});
      return false;
    }
    observe(created.value(), m_env.monotonic_now());
    return true;
  }

  // 3. A record that changed in any field is observed as of its return; an unchanged one keeps
  // its first observation, so its expiry counts from then. Validity is judged at the start of
  // the attempt, as client-go does (an earlier `now` only makes the Lease look more valid).
  if (!m_have_observed || !(current.value() == m_observed)) observe(current.value(), returned);
  if (!m_observed.holder_identity.empty() && lease_valid(now) && !observed_self()) return false;

  // 4. Take over (expired or released) or renew on the slow path.
  LeaseRecord next = desired;
  next.resource_version = m_observed.resource_version;
  if (observed_self()) {
    next.acquire_time = m_observed.acquire_time;
    next.lease_transitions = m_observed.lease_transitions;
  } else {
    next.lease_transitions = m_observed.lease_transitions + 1;
  }
  left = budget();
  if (left <= milliseconds(0)) return false;
  m_write_sent = m_env.monotonic_now();
  auto updated = m_lock.update(next, left);
  if (!updated.ok()) {
    log::info("cannot update the lease",
              {{"lease", m_lock.describe()}, {"error", updated.failure().message}});
    return false;
  }
  observe(updated.value(), m_env.monotonic_now());
  return true;
}

void LeaderElector::set_leading(bool leading, const char* why) {
  bool changed;
  std::string holder;
  {
    std::lock_guard lock(m_mutex);
    changed = m_leading != leading;
    m_leading = leading;
    holder = m_observed.holder_identity;
  }
  if (changed)
    log::info(leading ? "became the leader" : "stopped leading",
              {{"lease", m_lock.describe()}, {"identity", m_config.identity}, {"why", why}});
  if (!m_reported_once || m_reported_leading != leading || m_reported_holder != holder) {
    m_reported_once = true;
    m_reported_leading = leading;
    m_reported_holder = holder;
    if (m_observer) m_observer(leading, holder);
  }
}

bool LeaderElector::step() {
  try {
    const auto now = m_env.monotonic_now();
    if (m_leading && now >= m_last_renew + m_config.renew_deadline) {
      set_leading(false, "not renewed within renewDeadline");
      return false;
    }
    const bool ok = try_acquire_or_renew(now);
    const bool late = m_env.monotonic_now() >= m_last_renew + m_config.renew_deadline;
    if (ok && observed_self()) {
      if (m_leading && late) {
        // The write was stored, but after our deadline: we may already have been replaced in
        // the eyes of a follower's clock. Step down now; the next attempt renews afresh.
        set_leading(false, "renewal came back after renewDeadline");
        return false;
      }
      m_last_renew = m_write_sent;
      set_leading(true, m_leading ? "renewed" : "acquired");
      return true;
    }
    if (m_leading && late) {
      set_leading(false, "not renewed within renewDeadline");
      return false;
    }
    set_leading(m_leading, "unchanged");
    return m_leading;
  } catch (const std::exception& e) {
    log::error("leader election step failed", {{"error", e.what()}});
    return m_leading;
  }
}

milliseconds LeaderElector::next_delay() {
  if (m_leading) {
    const auto left =
        duration_cast<milliseconds>(m_last_renew + m_config.renew_deadline - m_env.monotonic_now());
    return std::clamp(left, milliseconds(0), m_config.retry_period);
  }
  const auto jitter =
      std::uniform_int_distribution<long long>(0, m_config.retry_period.count() / 2)(m_rng);
  return m_config.retry_period + milliseconds(jitter);
}

bool LeaderElector::release() {
  // Stop publishing before the Lease is handed over: a follower may take it at once.
  if (m_leading) set_leading(false, "releasing the lease");
  if (!observed_self()) return true;
  const auto deadline =
      m_env.monotonic_now() + std::min(m_config.release_deadline, m_config.renew_deadline);
  const auto left = [&] { return duration_cast<milliseconds>(deadline - m_env.monotonic_now()); };
  bool released = false;
  for (int attempt = 0; attempt < 3 && !released; ++attempt) {
    if (left() <= milliseconds(0)) break;
    auto current = m_lock.get(left());
    if (!current.ok()) {
      log::warn("cannot release the lease",
                {{"lease", m_lock.describe()}, {"error", current.failure().message}});
      break;
    }
    // Someone else holds it already: nothing of ours to release.
    if (current.value().holder_identity != m_config.identity) {
      observe(current.value(), m_env.monotonic_now());
      released = true;
      break;
    }
    // client-go release: no holder, leaseDurationSeconds 1, renew/acquire now.
    LeaseRecord empty;
    empty.lease_duration_seconds = 1;
    empty.acquire_time = m_env.wall_now();
    empty.renew_time = empty.acquire_time;
    empty.lease_transitions = current.value().lease_transitions;
    empty.resource_version = current.value().resource_version;
    if (left() <= milliseconds(0)) break;
    auto updated = m_lock.update(empty, left());
    if (updated.ok()) {
      observe(updated.value(), m_env.monotonic_now());
      released = true;
    } else if (updated.failure().http_status != 409) {
      log::warn("cannot release the lease",
                {{"lease", m_lock.describe()}, {"error", updated.failure().message}});
      break;
    }
  }
  set_leading(false, released ? "released" : "release failed");
  if (released) log::info("lease released", {{"lease", m_lock.describe()}});
  return released;
}

void LeaderElector::start() {
  m_thread = std::thread([this] {
    while (true) {
      step();
      const auto delay = next_delay();
      std::unique_lock lock(m_mutex);
      if (m_env.wait_for(m_cv, lock, delay, [&] { return m_stopping; })) return;
    }
  });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  // The step in flight may be inside a request the API server holds: cut it.
  m_lock.interrupt();
  if (m_thread.joinable()) m_thread.join();
  m_lock.resume();
  release();
}

}  // namespace kci

#pragma once
// Lease-based leader election with the semantics of client-go tools/leaderelection
// (kubernetes/client-go tools/leaderelection/leaderelection.go at 32ce75a7: tryAcquireOrRenew,
// renew, release, isLeaseValid, setObservedRecord):
//  - a missing Lease is created (POST) with us as holder;
//  - a Lease held by another is taken over only once it has expired, judged on the LOCAL
//    monotonic clock: the record's leaseDurationSeconds counted from the moment we observed
//    that exact record, never from the holder's renewTime, so clock skew between nodes does not
//    matter (client-go isLeaseValid / setObservedRecord). A record is observed when the request
//    that brought it RETURNS (client-go calls setObservedRecord after Get or Update came back,
//    with observedTime = clock.Now()), and again whenever any field differs from the one
//    observed before (client-go compares the whole raw record). So a GET the API server held
//    for seconds does not eat into the lease duration: the holder may have renewed just before
//    the answer was written;
//  - a released Lease (empty holderIdentity) is taken at once;
//  - every write names the resourceVersion it read; a 409 Conflict means another replica wrote
//    first: nothing is assumed, the next attempt re-reads;
//  - the leader renews every retryPeriod (fast path: PUT on the observed version, then the
//    slow path GET + PUT). Its renew deadline counts from the moment the last successful write
//    was SENT (the API server stored it after that, so every follower observed it after that,
//    and none takes over before that moment + leaseDuration > renewDeadline). Each request is
//    bounded by the time left; a leader with no time left sends nothing and steps down, and a
//    renewal that comes back after the deadline does not count (client-go renews under a
//    context with the RenewDeadline timeout, so a late answer is an error there too). Stricter
//    than client-go, whose deadline restarts a retryPeriod after the last renewal returned;
//  - release (client-go ReleaseOnCancel, on SIGTERM): first stop leading (our cost series go),
//    then PUT an empty holderIdentity with leaseDurationSeconds 1, so a follower takes over at
//    its next attempt. The whole release is bounded by release_deadline (2 s), and a request in
//    flight on the elector's thread is cancelled first (LeaseLock::interrupt), so shutdown never
//    waits for an API server that holds requests.
// Deviation: a follower waits retryPeriod plus up to 50% jitter between attempts (client-go's
// JitterFactor 1.2 would allow 2.2 x retryPeriod), so takeover after a release stays within
// about one retry period.
// Time comes from an Env (util/env.hpp): expiry, deadlines and the loop's waits on its monotonic
// clock, acquireTime/renewTime from its wall clock.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "exporter/election/lease.hpp"
#include "exporter/election/lease_lock.hpp"
#include "exporter/util/env.hpp"

namespace kci {

struct ElectorConfig {
  std::string identity;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // The most release() may take (capped by renew_deadline): SIGTERM must end the process
  // within Kubernetes' grace period whatever the API server does.
  std::chrono::milliseconds release_deadline{2'000};
};

class LeaderElector {
 public:
  // Called on the elector's thread whenever leading or the observed holder changes.
  using Observer = std::function<void(bool leading, const std::string& holder)>;

  // `env` must outlive the elector.
  LeaderElector(LeaseLock& lock, ElectorConfig config, Env& env, Observer observer);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // One attempt to acquire or renew (client-go tryAcquireOrRenew), then the renew-deadline
  // rule. Returns whether we lead afterwards. Never throws.
  bool step();
  // How long to wait before the next step: the leader renews every retryPeriod (but wakes at
  // its renew deadline to step down on time); a follower waits retryPeriod plus jitter.
  std::chrono::milliseconds next_delay();
  // ReleaseOnCancel: steps down first, then, when the Lease we last observed is ours, writes an
  // empty holder (retrying a 409 at most 3 times), all within release_deadline. Returns true
  // when released or not ours.
  bool release();

  bool leading() const;
  std::string holder() const;  // the holder last observed ("" when released or unknown)

  // The loop on its own thread: step, wait next_delay, until stop().
  void start();
  // Stops the loop (cancelling its request in flight), then release(). Bounded by
  // release_deadline plus the time the cancelled request takes to return.
  void stop();

 private:
  bool try_acquire_or_renew(std::chrono::steady_clock::time_point now);
  bool lease_valid(std::chrono::steady_clock::time_point now) const;
  bool observed_self() const { return m_observed.holder_identity == m_config.identity; }
  void observe(const LeaseRecord& record, std::chrono::steady_clock::time_point now);
  // Time a request may take now; <= 0: a leader out of time, which must not send anything.
  std::chrono::milliseconds budget() const;
  void set_leading(bool leading, const char* why);

  LeaseLock& m_lock;
  ElectorConfig m_config;
  Env& m_env;
  Observer m_observer;
  std::mt19937_64 m_rng;

  // Touched by the elector thread only (step/release); leading()/holder() read under m_mutex.
  LeaseRecord m_observed;
  bool m_have_observed = false;
  std::chrono::steady_clock::time_point m_observed_time{};
  std::chrono::steady_clock::time_point m_last_renew{};  // when the last good write was sent
  std::chrono::steady_clock::time_point m_write_sent{};  // when the latest write was sent
  bool m_leading = false;
  std::string m_reported_holder;
  bool m_reported_leading = false;
  bool m_reported_once = false;

  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace kci

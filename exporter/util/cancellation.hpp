#pragma once
// A run's stop switch. One thread decides that the work must stop (a SIGTERM, the run's
// deadline) and calls cancel(); the threads doing the work check cancelled() between steps and
// register hooks that interrupt what they are blocked in (an HTTP request in flight), so a
// stop takes effect within milliseconds, not at the next timeout.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "exporter/util/env.hpp"

namespace kci {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Thread-safe; the first call wins: it records `reason` (one line, e.g. "interrupted by
  // SIGTERM"), runs every registered hook on the calling thread and so wakes every wait_for (a
  // hook). Later calls change nothing.
  void cancel(const std::string& reason);
  bool cancelled() const;
  std::string reason() const;  // "" until cancelled

  // Sleeps for `duration` of `env`'s monotonic time or until cancelled, whichever is first; true
  // when cancelled. The same as env.sleep_for(duration, *this).
  bool wait_for(std::chrono::milliseconds duration, Env& env = Env::system()) const;

  // While the returned Subscription lives, `hook` runs once when cancel() is called (at once,
  // on this thread, when it already was). Hooks must be quick, must not throw and must not call
  // back into the Cancellation; a Subscription's destructor waits for a hook that is running.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();

   private:
    friend class Cancellation;
    Subscription(const Cancellation* owner, std::uint64_t id) : m_owner(owner), m_id(id) {}
    const Cancellation* m_owner = nullptr;
    std::uint64_t m_id = 0;
  };
  [[nodiscard]] Subscription on_cancel(std::function<void()> hook) const;

  // A Cancellation nobody can cancel, for callers that have nothing to stop them.
  static const Cancellation& never();

 private:
  void unsubscribe(std::uint64_t id) const;

  mutable std::mutex m_mutex;
  bool m_cancelled = false;                                        // guarded by m_mutex
  std::string m_reason;                                            // guarded by m_mutex
  mutable std::map<std::uint64_t, std::function<void()>> m_hooks;  // guarded by m_mutex
  mutable std::uint64_t m_next_id = 1;                             // guarded by m_mutex
};

}  // namespace kci

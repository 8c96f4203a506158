#pragma once
// The process's environment as far as time goes (LevelDB's Env is the model): the wall clock, the
// monotonic clock and waiting. Everything that reads time or waits for it takes an Env&, so a
// test can substitute a fake (tests/unit/fake_env.hpp) in which time only moves when the test
// says so. Env::system() is the real one.
//
// Which clock for what: the MONOTONIC clock for every interval, deadline and age (it never
// steps); the WALL clock only for timestamps that leave the process (published metrics, Lease
// renewTime, which UTC day is due). A wall-clock step (NTP, a VM resumed) then moves
// timestamps but never stretches or shrinks a wait.
//
// Waiting: every wait is on a condition variable the caller owns, with a monotonic deadline and
// a predicate, so an implementation can wake its waiters when its time moves (a fake's
// advance()) as well as when the caller notifies. Durations of work done (how long a parse
// took) are measurements, not schedule: they may stay on std::chrono::steady_clock.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace kci {

class Cancellation;

class Env {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonoTime = std::chrono::steady_clock::time_point;

  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // Thread-safe. Wall time: may step back or forth; for timestamps only.
  virtual WallTime wall_now() const = 0;
  // wall_now() as Unix seconds with a fraction.
  double wall_unix_seconds() const;
  // wall_now() in whole Unix seconds (as std::time() gives them).
  std::int64_t wall_unix_time() const;

  // Thread-safe. Monotonic time: never goes back; for intervals, deadlines and ages.
  virtual MonoTime monotonic_now() const = 0;

  // With `lock` held (on a mutex that guards what `ready` reads, and that whoever makes `ready`
  // true holds while doing so before notifying `cv`): blocks until ready() or until
  // monotonic_now() >= deadline, whichever is first; returns ready() (false: the deadline
  // passed). `lock` is held again on return; ready() is called with it held. Spurious wake-ups
  // are absorbed. MonoTime::max() waits for ready() alone.
  virtual bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                          MonoTime deadline, const std::function<bool()>& ready) = 0;

  // The same with a relative timeout counted from monotonic_now().
  template <class Rep, class Period>
  bool wait_for(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                std::chrono::duration<Rep, Period> timeout, const std::function<bool()>& ready) {
    return wait_until(cv, lock, deadline_after(timeout), ready);
  }

  // Sleeps until `deadline` or until `cancel` is cancelled, whichever is first; true when
  // cancelled (at once when it already was). Built on wait_until and Cancellation's hooks.
  bool sleep_until(MonoTime deadline, const Cancellation& cancel);
  template <class Rep, class Period>
  bool sleep_for(std::chrono::duration<Rep, Period> duration, const Cancellation& cancel) {
    return sleep_until(deadline_after(duration), cancel);
  }

  // monotonic_now() + d, saturating at MonoTime::max() (so "never" stays never).
  template <class Rep, class Period>
  MonoTime deadline_after(std::chrono::duration<Rep, Period> d) const {
    const MonoTime now = monotonic_now();
    const auto left = MonoTime::max() - now;
    if (std::chrono::duration<double>(d) >= std::chrono::duration<double>(left))
      return MonoTime::max();
    return now + std::chrono::duration_cast<MonoTime::duration>(d);
  }

  // The real clocks and std::condition_variable's own waits. Lives as long as the process.
  static Env& system();
};

}  // namespace kci

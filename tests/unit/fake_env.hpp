#pragma once
// kci::test::FakeEnv: an Env (exporter/util/env.hpp) whose time only moves when the test says so.
// advance(d) moves the wall and the monotonic clock together and wakes every waiter whose
// deadline has passed (it returns once each of them has woken up); set_wall() steps the wall
// clock alone (NTP, a VM resumed), which wakes no one: waits are on the monotonic clock.
// Waiters are registered with the condition variable they wait on, so advance() can notify it.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "exporter/util/env.hpp"

namespace kci::test {

class FakeEnv final : public Env {
 public:
  // Starts at 2024-01-01T00:00:00Z on the wall clock and at an arbitrary monotonic point.
  FakeEnv() = default;

  WallTime wall_now() const override {
    std::lock_guard lock(m_mutex);
    return m_wall;
  }
  MonoTime monotonic_now() const override {
    std::lock_guard lock(m_mutex);
    return m_mono;
  }

  // Sets the wall clock (either direction); the monotonic clock does not move.
  void set_wall(WallTime t) {
    std::lock_guard lock(m_mutex);
    m_wall = t;
  }
  void set_wall_unix_seconds(double s) {
    set_wall(
        WallTime(std::chrono::duration_cast<WallTime::duration>(std::chrono::duration<double>(s))));
  }
  // Steps the wall clock by `d` (negative: back); the monotonic clock does not move.
  template <class Rep, class Period>
  void step_wall(std::chrono::duration<Rep, Period> d) {
    std::lock_guard lock(m_mutex);
    m_wall += std::chrono::duration_cast<WallTime::duration>(d);
  }

  // Moves both clocks by `d` (>= 0) and wakes every waiter whose deadline is now due; returns
  // when each of those has woken (re-checked its predicate).
  template <class Rep, class Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    std::unique_lock lock(m_mutex);
    m_mono += std::chrono::duration_cast<MonoTime::duration>(d);
    m_wall += std::chrono::duration_cast<WallTime::duration>(d);
    wake_due(lock);
  }

  // Waiters registered now (blocked in wait_until with a deadline not yet due).
  std::size_t waiters() const {
    std::lock_guard lock(m_mutex);
    return m_waiters.size();
  }
  // The earliest deadline among the waiters; MonoTime::max() when none.
  MonoTime next_deadline() const {
    std::lock_guard lock(m_mutex);
    MonoTime next = MonoTime::max();
    for (const auto& [id, w] : m_waiters) next = std::min(next, w.deadline);
    return next;
  }
  // Blocks (in real time, at most `real_limit`) until some waiter's deadline is within
  // `horizon` of now, then advances the clocks to that deadline; false when none came. Drives
  // code that sleeps in steps (a retry's backoff) without advancing past a longer deadline.
  template <class Rep, class Period>
  bool advance_to_next_deadline(std::chrono::duration<Rep, Period> horizon,
                                std::chrono::milliseconds real_limit = std::chrono::seconds(5)) {
    const auto give_up = std::chrono::steady_clock::now() + real_limit;
    while (true) {
      {
        std::unique_lock lock(m_mutex);
        MonoTime next = MonoTime::max();
        for (const auto& [id, w] : m_waiters) next = std::min(next, w.deadline);
        if (next != MonoTime::max() &&
            next <= m_mono + std::chrono::duration_cast<MonoTime::duration>(horizon)) {
          const auto d = next - m_mono;
          m_mono += d;
          m_wall += std::chrono::duration_cast<WallTime::duration>(d);
          wake_due(lock);
          return true;
        }
      }
      if (std::chrono::steady_clock::now() >= give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  MonoTime deadline, const std::function<bool()>& ready) override {
    while (!ready()) {
      std::uint64_t id;
      {
        // Lock order: the caller's mutex, then m_mutex (advance() never takes the caller's).
        std::lock_guard guard(m_mutex);
        if (m_mono >= deadline) return false;
        id = m_next_id++;
        m_waiters.emplace(id, Waiter{&cv, deadline});
      }
      cv.wait(lock);  // woken by the caller's notify or by advance() (repeated until seen)
      std::lock_guard guard(m_mutex);
      m_waiters.erase(id);
      m_woken.notify_all();
    }
    return true;
  }

 private:
  struct Waiter {
    std::condition_variable* cv;
    MonoTime deadline;
  };

  // m_mutex held. Notifies each due waiter until it has left the registry: a notify that comes
  // before the waiter is inside cv.wait() would be lost, so it is repeated (the waiter cannot
  // unregister, so its cv cannot go away, while m_mutex is held here).
  void wake_due(std::unique_lock<std::mutex>& lock) {
    while (true) {
      bool any = false;
      for (const auto& [id, w] : m_waiters) {
        if (w.deadline > m_mono) continue;
        any = true;
        w.cv->notify_all();
      }
      if (!any) return;
      m_woken.wait_for(lock, std::chrono::milliseconds(1));
    }
  }

  mutable std::mutex m_mutex;
  std::condition_variable m_woken;
  WallTime m_wall{std::chrono::seconds(1'704'067'200)};  // 2024-01-01T00:00:00Z
  MonoTime m_mono{std::chrono::hours(1'000)};
  std::map<std::uint64_t, Waiter> m_waiters;
  std::uint64_t m_next_id = 1;
};

}  // namespace kci::test

// util/env.hpp: the system Env and the fake one (tests/unit/fake_env.hpp) that the other unit
// tests drive time with.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "exporter/util/cancellation.hpp"
#include "exporter/util/env.hpp"
#include "fake_env.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::FakeEnv;

namespace {

// Blocks (bounded, in real time) until `env` has `n` waiters registered.
void await_waiters(const FakeEnv& env, std::size_t n) {
  for (int i = 0; i < 2000 && env.waiters() < n; ++i) std::this_thread::sleep_for(1ms);
  REQUIRE(env.waiters() >= n);
}

}  // namespace

TEST_CASE("env: the system Env reads the real clocks; Unix seconds agree with wall_now") {
  Env& env = Env::system();
  CHECK(&env == &Env::system());
  const auto before = std::chrono::system_clock::now();
  const double unix_now = env.wall_unix_seconds();
  const auto after = std::chrono::system_clock::now();
  CHECK(unix_now >= std::chrono::duration<double>(before.time_since_epoch()).count() - 1e-6);
  CHECK(unix_now <= std::chrono::duration<double>(after.time_since_epoch()).count() + 1e-6);
  const auto a = env.monotonic_now();
  CHECK(env.monotonic_now() >= a);
  CHECK(env.wall_unix_time() >= static_cast<std::int64_t>(unix_now) - 1);
}

TEST_CASE("env: the system Env's waits end at the deadline or when ready", "[threads]") {
  Env& env = Env::system();
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock lock(mutex);
  CHECK_FALSE(env.wait_for(cv, lock, 1ms, [] { return false; }));
  CHECK(env.wait_for(cv, lock, 1h, [] { return true; }));
  lock.unlock();
  Cancellation cancel;
  CHECK_FALSE(env.sleep_for(1ms, cancel));
  cancel.cancel("stop");
  CHECK(env.sleep_for(1h, cancel));  // already cancelled: at once
}

TEST_CASE("fake env: time moves only on advance; wall and monotonic move together") {
  FakeEnv env;
  const auto wall = env.wall_now();
  const auto mono = env.monotonic_now();
  std::this_thread::sleep_for(2ms);
  CHECK(env.wall_now() == wall);
  CHECK(env.monotonic_now() == mono);
  env.advance(90s);
  CHECK(env.wall_now() - wall == 90s);
  CHECK(env.monotonic_now() - mono == 90s);
  CHECK(env.wall_unix_seconds() == 1'704'067'200 + 90);
  CHECK(env.wall_unix_time() == 1'704'067'200 + 90);
}

TEST_CASE("fake env: a wall-clock step leaves the monotonic clock alone") {
  FakeEnv env;
  const auto mono = env.monotonic_now();
  env.step_wall(-1h);
  CHECK(env.wall_unix_time() == 1'704'067'200 - 3600);
  CHECK(env.monotonic_now() == mono);
  env.set_wall_unix_seconds(1000.5);
  CHECK(env.wall_unix_seconds() == 1000.5);
  CHECK(env.wall_unix_time() == 1000);
  CHECK(env.monotonic_now() == mono);
}

TEST_CASE("fake env: advance wakes the waiters whose deadline passed, and only those",
          "[threads]") {
  FakeEnv env;
  std::mutex mutex;
  std::condition_variable cv;
  auto wait = [&](std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    return env.wait_for(cv, lock, timeout, [] { return false; });
  };
  auto short_wait = std::async(std::launch::async, wait, 10s);
  auto long_wait = std::async(std::launch::async, wait, 60s);
  await_waiters(env, 2);
  CHECK(env.next_deadline() == env.monotonic_now() + 10s);
  env.advance(9s);
  CHECK(short_wait.wait_for(20ms) == std::future_status::timeout);
  env.advance(1s);  // returns once the 10 s waiter has woken (left the fake's registry)
  CHECK(env.waiters() == 1);
  CHECK_FALSE(short_wait.get());  // the deadline passed
  CHECK(long_wait.wait_for(20ms) == std::future_status::timeout);
  env.advance(50s);
  CHECK_FALSE(long_wait.get());
  CHECK(env.waiters() == 0);
}

TEST_CASE("fake env: a notify with the predicate true ends a wait before its deadline",
          "[threads]") {
  FakeEnv env;
  std::mutex mutex;
  std::condition_variable cv;
  bool ready = false;
  auto waiting = std::async(std::launch::async, [&] {
    std::unique_lock lock(mutex);
    return env.wait_until(cv, lock, Env::MonoTime::max(), [&] { return ready; });
  });
  await_waiters(env, 1);
  CHECK(env.next_deadline() == Env::MonoTime::max());
  env.advance(24h);  // "never" is never due
  CHECK(waiting.wait_for(20ms) == std::future_status::timeout);
  {
    std::lock_guard lock(mutex);
    ready = true;
  }
  cv.notify_all();
  CHECK(waiting.get());
}

TEST_CASE("fake env: a deadline already passed returns at once, without waiting") {
  FakeEnv env;
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock lock(mutex);
  CHECK_FALSE(env.wait_for(cv, lock, 0s, [] { return false; }));
  CHECK(env.wait_for(cv, lock, 0s, [] { return true; }));
  CHECK(env.waiters() == 0);
}

TEST_CASE("fake env: a cancellation wakes a sleep; advance ends one that is not cancelled",
          "[threads]") {
  FakeEnv env;
  Cancellation cancel;
  auto sleeping = std::async(std::launch::async, [&] { return cancel.wait_for(1h, env); });
  await_waiters(env, 1);
  cancel.cancel("interrupted by SIGTERM");
  CHECK(sleeping.get());  // cancelled, with no time passing
  CHECK(env.waiters() == 0);

  Cancellation quiet;
  auto sleeping2 = std::async(std::launch::async, [&] { return env.sleep_for(30s, quiet); });
  await_waiters(env, 1);
  env.advance(30s);
  CHECK_FALSE(sleeping2.get());  // the time passed; not cancelled
}

TEST_CASE("fake env: advance_to_next_deadline jumps to a waiter within the horizon", "[threads]") {
  FakeEnv env;
  const auto start = env.monotonic_now();
  Cancellation never;
  auto far = std::async(std::launch::async, [&] { return env.sleep_for(1h, never); });
  await_waiters(env, 1);
  CHECK_FALSE(env.advance_to_next_deadline(5s, 20ms));  // an hour off: not within 5 s
  CHECK(env.monotonic_now() == start);
  auto near = std::async(std::launch::async, [&] { return env.sleep_for(2s, never); });
  await_waiters(env, 2);
  CHECK(env.advance_to_next_deadline(5s, 1s));
  CHECK(env.monotonic_now() - start == 2s);
  CHECK_FALSE(near.get());
  env.advance(1h);
  CHECK_FALSE(far.get());
}

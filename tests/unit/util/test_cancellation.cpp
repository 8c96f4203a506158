// Cancellation: the first reason wins, hooks run once (at once when late), unsubscribed hooks
// never run, and waits end early.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "exporter/util/cancellation.hpp"
#include "fake_env.hpp"

using namespace kci;
using namespace std::chrono_literals;

TEST_CASE("cancellation: the first reason wins; hooks run once") {
  Cancellation c;
  int runs = 0;
  auto sub = c.on_cancel([&] { ++runs; });
  CHECK_FALSE(c.cancelled());
  CHECK(c.reason().empty());
  c.cancel("interrupted by SIGTERM");
  c.cancel("the run took longer than s3ExportRunTimeout=45m");
  CHECK(c.cancelled());
  CHECK(c.reason() == "interrupted by SIGTERM");
  CHECK(runs == 1);
}

TEST_CASE("cancellation: a hook registered after the fact runs at once") {
  Cancellation c;
  c.cancel("stop");
  int runs = 0;
  auto sub = c.on_cancel([&] { ++runs; });
  CHECK(runs == 1);
}

TEST_CASE("cancellation: a dropped subscription's hook never runs") {
  Cancellation c;
  int runs = 0;
  {
    auto sub = c.on_cancel([&] { ++runs; });
  }
  Cancellation::Subscription kept = c.on_cancel([&] { runs += 10; });
  Cancellation::Subscription moved = std::move(kept);
  c.cancel("stop");
  CHECK(runs == 10);
}

TEST_CASE("cancellation: wait_for ends when another thread cancels") {
  Cancellation c;
  CHECK_FALSE(c.wait_for(10ms));
  std::thread t([&] {
    std::this_thread::sleep_for(50ms);
    c.cancel("stop");
  });
  kci::test::FakeEnv env;  // its time never passes: returning true means woken, not timed out
  CHECK(c.wait_for(60s, env));
  t.join();
}

TEST_CASE("cancellation: never() is never cancelled") {
  CHECK_FALSE(Cancellation::never().cancelled());
  CHECK_FALSE(Cancellation::never().wait_for(1ms));
}

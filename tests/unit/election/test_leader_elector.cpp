// The elector's state machine against an in-memory API server with resourceVersion semantics
// (Kubernetes API conventions, "Concurrency Control and Consistency": an update naming a stale
// resourceVersion is refused with 409 Conflict) and a fake clock (tests/unit/fake_env.hpp).
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "exporter/election/leader_elector.hpp"
#include "fake_env.hpp"

using namespace kci;
using namespace std::chrono_literals;
using kci::test::FakeEnv;

namespace {

// One Lease on a fake API server, shared by the replicas' locks.
struct FakeApi {
  std::optional<LeaseRecord> stored;
  long long version = 100;
  bool down = false;
  int writes = 0;
  int conflicts = 0;
  int gets = 0;
};

struct FakeLock : LeaseLock {
  FakeApi& api;
  // Run inside the request before it is answered (a held request: advance the clock there).
  std::function<void()> before_get, before_update;
  std::vector<std::chrono::milliseconds> timeouts;  // every request's, in order
  explicit FakeLock(FakeApi& a) : api(a) {}
  Expected<LeaseRecord> get(std::chrono::milliseconds t) override {
    timeouts.push_back(t);
    ++api.gets;
    if (before_get) std::exchange(before_get, nullptr)();
    if (api.down) return Failure{FailureReason::connect, "connection refused"};
    if (!api.stored) return Failure{FailureReason::http_status, "HTTP 404: not found", 404};
    return *api.stored;
  }
  Expected<LeaseRecord> create(const LeaseRecord& r, std::chrono::milliseconds) override {
    if (api.down) return Failure{FailureReason::connect, "connection refused"};
    if (api.stored) return Failure{FailureReason::http_status, "HTTP 409: AlreadyExists", 409};
    return store(r);
  }
  Expected<LeaseRecord> update(const LeaseRecord& r, std::chrono::milliseconds t) override {
    timeouts.push_back(t);
    if (before_update) std::exchange(before_update, nullptr)();
    if (api.down) return Failure{FailureReason::connect, "connection refused"};
    if (!api.stored) return Failure{FailureReason::http_status, "HTTP 404: not found", 404};
    if (r.resource_version != api.stored->resource_version) {
      ++api.conflicts;
      return Failure{FailureReason::http_status, "HTTP 409: Conflict", 409};
    }
    return store(r);
  }
  std::string describe() const override { return "ns/lease"; }
  LeaseRecord store(LeaseRecord r) {
    r.resource_version = std::to_string(++api.version);
    api.stored = r;
    ++api.writes;
    return r;
  }
};

struct Replica {
  FakeLock lock;
  std::vector<std::pair<bool, std::string>> seen;
  LeaderElector elector;
  Replica(FakeApi& api, Env& clock, const std::string& id)
      : lock(api),
        elector(lock, ElectorConfig{id, 3s, 2s, 500ms}, clock,
                [this](bool leading, const std::string& holder) {
                  seen.emplace_back(leading, holder);
                }) {}
};

}  // namespace

TEST_CASE("elector: a missing Lease is created; the other replica follows", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b");
  CHECK(a.elector.step());
  REQUIRE(api.stored);
  CHECK(api.stored->holder_identity == "a");
  CHECK(api.stored->lease_duration_seconds == 3);
  CHECK(api.stored->lease_transitions == 0);
  CHECK_FALSE(b.elector.step());
  CHECK(b.elector.holder() == "a");
  CHECK(a.seen.back() == std::make_pair(true, std::string("a")));
  CHECK(b.seen.back() == std::make_pair(false, std::string("a")));
  // The leader renews on the version it observed (fast path), keeping acquireTime.
  const auto acquired = api.stored->acquire_time;
  clock.advance(500ms);
  CHECK(a.elector.step());
  CHECK(api.stored->acquire_time == acquired);
  CHECK(api.stored->renew_time != acquired);
  CHECK(api.conflicts == 0);
}

TEST_CASE("elector: a held Lease is taken over only after it expired, on the local clock",
          "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  // The holder's renewTime lies far in the past (skewed clock): expiry still counts from our
  // first observation of this record (client-go isLeaseValid).
  api.stored->renew_time = SystemTime(std::chrono::hours(-1000));
  CHECK_FALSE(b.elector.step());
  clock.advance(2900ms);  // a is silent; its Lease is 3s from our observation
  CHECK_FALSE(b.elector.step());
  CHECK(api.stored->holder_identity == "a");
  clock.advance(200ms);  // now 3.1s since b first saw this version
  CHECK(b.elector.step());
  CHECK(api.stored->holder_identity == "b");
  CHECK(api.stored->lease_transitions == 1);
  // The old leader has not renewed for 3.1s > renewDeadline: it steps down without a write.
  const int writes = api.writes;
  CHECK_FALSE(a.elector.step());
  CHECK(api.writes == writes);
  CHECK(a.seen.back().first == false);
  // ...and does not take the Lease back while b renews it.
  clock.advance(500ms);
  CHECK(b.elector.step());
  CHECK_FALSE(a.elector.step());
  CHECK(a.elector.holder() == "b");
}

TEST_CASE("elector: a renewal that keeps the Lease fresh is never taken over", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  for (int i = 0; i < 40; ++i) {
    clock.advance(500ms);
    CHECK(a.elector.step());
    CHECK_FALSE(b.elector.step());
  }
  CHECK(api.stored->holder_identity == "a");
  CHECK(api.stored->lease_transitions == 0);
}

TEST_CASE("elector: 409 Conflict: two replicas race for an expired Lease, one wins", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b"), c(api, clock, "c");
  REQUIRE(a.elector.step());
  CHECK_FALSE(b.elector.step());
  CHECK_FALSE(c.elector.step());
  clock.advance(4s);  // a died
  // b and c both read the expired version; b writes first, c's PUT names the stale version.
  struct Interleave : LeaseLock {
    FakeLock& inner;
    std::function<void()> before_update;
    explicit Interleave(FakeLock& l) : inner(l) {}
    Expected<LeaseRecord> get(std::chrono::milliseconds t) override { return inner.get(t); }
    Expected<LeaseRecord> create(const LeaseRecord& r, std::chrono::milliseconds t) override {
      return inner.create(r, t);
    }
    Expected<LeaseRecord> update(const LeaseRecord& r, std::chrono::milliseconds t) override {
      if (before_update) std::exchange(before_update, nullptr)();
      return inner.update(r, t);
    }
    std::string describe() const override { return "ns/lease"; }
  };
  Interleave racing(c.lock);
  LeaderElector c2(racing, ElectorConfig{"c", 3s, 2s, 500ms}, clock, nullptr);
  CHECK_FALSE(c2.step());  // observes a's record (first time: valid for 3s from now)
  clock.advance(4s);
  racing.before_update = [&] { CHECK(b.elector.step()); };
  CHECK_FALSE(c2.step());
  CHECK(api.conflicts == 1);
  CHECK(api.stored->holder_identity == "b");
  // c re-reads on its next attempt and sees b's fresh Lease: it follows.
  clock.advance(500ms);
  CHECK_FALSE(c2.step());
  CHECK(c2.holder() == "b");
}

TEST_CASE("elector: a leader that cannot renew within renewDeadline steps down at once",
          "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a");
  REQUIRE(a.elector.step());
  api.down = true;
  clock.advance(500ms);
  CHECK(a.elector.step());  // still within the deadline
  CHECK(a.elector.next_delay() == 500ms);
  clock.advance(1200ms);
  CHECK(a.elector.step());
  // 1.7s since the last renewal: the next wake is at the deadline (0.3s), not a retry later.
  CHECK(a.elector.next_delay() == 300ms);
  clock.advance(300ms);
  CHECK_FALSE(a.elector.step());
  CHECK_FALSE(a.elector.leading());
  CHECK(a.seen.back().first == false);
  // When the API server is back, nobody else took the Lease: a renews it again.
  api.down = false;
  clock.advance(500ms);
  CHECK(a.elector.step());
}

TEST_CASE("elector: release (ReleaseOnCancel) empties the holder; a follower takes over at once",
          "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  CHECK_FALSE(b.elector.step());
  CHECK(a.elector.release());
  CHECK_FALSE(a.elector.leading());
  REQUIRE(api.stored);
  CHECK(api.stored->holder_identity.empty());
  CHECK(api.stored->lease_duration_seconds == 1);
  clock.advance(10ms);  // no waiting out the lease duration
  CHECK(b.elector.step());
  CHECK(api.stored->holder_identity == "b");
  CHECK(api.stored->lease_transitions == 1);
  // Releasing when not leading writes nothing.
  const int writes = api.writes;
  CHECK(a.elector.release());
  CHECK(api.writes == writes);
}

TEST_CASE("elector: a follower's delay is the retry period plus bounded jitter", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  CHECK_FALSE(b.elector.step());
  for (int i = 0; i < 100; ++i) {
    const auto d = b.elector.next_delay();
    CHECK(d >= 500ms);
    CHECK(d <= 750ms);
  }
}

TEST_CASE("elector: an API server that fails every request leaves everyone a follower",
          "[threads]") {
  FakeApi api;
  api.down = true;
  FakeEnv clock;
  Replica a(api, clock, "a");
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(a.elector.step());
    clock.advance(500ms);
  }
  CHECK_FALSE(a.elector.leading());
}

TEST_CASE("elector: the loop thread acquires, and stop() releases the Lease", "[threads]") {
  FakeApi api;
  FakeEnv clock;  // never advanced: the loop waits for stop() alone
  Replica a(api, clock, "a");
  a.elector.start();
  // Bounded wait for the first step (not a timing assertion).
  for (int i = 0; i < 200 && !a.elector.leading(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  a.elector.stop();
  REQUIRE(api.stored);
  CHECK(api.stored->holder_identity.empty());
  CHECK(api.stored->lease_duration_seconds == 1);
  CHECK_FALSE(a.elector.leading());
  REQUIRE(a.seen.size() >= 2);
  CHECK(a.seen.front() == std::make_pair(true, std::string("a")));
  CHECK(a.seen.back().first == false);
}

namespace {

// A replica of its own configuration: leaseDuration 10s, renewDeadline 8s, retryPeriod 2s.
struct SlowReplica {
  FakeLock lock;
  LeaderElector elector;
  SlowReplica(FakeApi& api, Env& clock, const std::string& id)
      : lock(api), elector(lock, ElectorConfig{id, 10s, 8s, 2s}, clock, nullptr) {}
};

}  // namespace

TEST_CASE(
    "elector: a GET the API server held is observed when it returns: no takeover until "
    "leaseDuration after the answer (client-go setObservedRecord)",
    "[threads]") {
  FakeApi api;
  FakeEnv clock;
  SlowReplica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  // b's GET is held 9s; the leader renews at 7s, so the answer carries a record written 2s
  // before it arrives. Then the leader is cut off and never renews again.
  b.lock.before_get = [&] {
    clock.advance(7s);
    CHECK(a.elector.step());
    clock.advance(2s);
  };
  CHECK_FALSE(b.elector.step());  // returns at 9s: observed then, valid until 19s
  CHECK(b.elector.holder() == "a");
  for (int i = 0; i < 4; ++i) {  // 11s, 13s, 15s, 17s
    clock.advance(2s);
    CHECK_FALSE(b.elector.step());
    CHECK(api.stored->holder_identity == "a");
  }
  // The cut-off leader stops publishing at its renew deadline (7s + 8s), before any takeover.
  CHECK_FALSE(a.elector.step());
  CHECK_FALSE(a.elector.leading());
  clock.advance(1900ms);  // 18.9s: still within 10s of the observation
  CHECK_FALSE(b.elector.step());
  clock.advance(200ms);  // 19.1s
  CHECK(b.elector.step());
  CHECK(api.stored->holder_identity == "b");
}

TEST_CASE("elector: a record whose renewTime alone changed is observed again", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  SlowReplica a(api, clock, "a"), b(api, clock, "b");
  REQUIRE(a.elector.step());
  CHECK_FALSE(b.elector.step());
  clock.advance(9s);
  // Another writer moved renewTime without a new resourceVersion in the answer we see (a
  // proxy's cache, an aggregated API): client-go compares the whole record, so do we.
  api.stored->renew_time = *api.stored->renew_time + 9s;
  CHECK_FALSE(b.elector.step());  // observed anew at 9s
  clock.advance(9s);              // 18s: 18s after the first sight, 9s after the second
  CHECK_FALSE(b.elector.step());
  clock.advance(1100ms);  // 19.1s
  CHECK(b.elector.step());
}

TEST_CASE("elector: the time a slow renewal PUT takes counts toward the renew deadline",
          "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a");  // leaseDuration 3s, renewDeadline 2s, retryPeriod 500ms
  REQUIRE(a.elector.step());
  clock.advance(500ms);
  a.lock.before_update = [&] { clock.advance(1400ms); };  // sent at 0.5s, stored, back at 1.9s
  CHECK(a.elector.step());
  api.down = true;
  // The deadline counts from when that renewal was sent (0.5s), not from when it came back.
  CHECK(a.elector.next_delay() == 500ms);
  clock.advance(500ms);  // 2.4s
  CHECK(a.elector.step());
  CHECK(a.elector.next_delay() == 100ms);
  clock.advance(100ms);  // 2.5s
  CHECK_FALSE(a.elector.step());
  CHECK_FALSE(a.elector.leading());
}

TEST_CASE("elector: a renewal that comes back after renewDeadline does not count", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a");
  REQUIRE(a.elector.step());
  clock.advance(500ms);
  // The API server stores the renewal but its answer arrives after the deadline (2s from 0s).
  a.lock.before_update = [&] { clock.advance(1600ms); };
  CHECK_FALSE(a.elector.step());
  CHECK_FALSE(a.elector.leading());
  CHECK(a.lock.timeouts.back() <= 1500ms);  // the PUT was given only the time left
  // The Lease is still ours: the next attempt renews it and leads again.
  clock.advance(500ms);
  CHECK(a.elector.step());
}

TEST_CASE("elector: a leader with no time left sends no request", "[threads]") {
  FakeApi api;
  FakeEnv clock;
  Replica a(api, clock, "a");
  REQUIRE(a.elector.step());
  clock.advance(500ms);
  // The fast-path PUT fails after eating the rest of the deadline: no GET follows.
  a.lock.before_update = [&] {
    clock.advance(1500ms);
    api.down = true;
  };
  const int gets = api.gets;
  CHECK_FALSE(a.elector.step());
  CHECK(api.gets == gets);
  CHECK_FALSE(a.elector.leading());
}

TEST_CASE("elector: release steps down first and is bounded by the release deadline (2s)",
          "[threads]") {
  FakeApi api;
  FakeEnv clock;
  SlowReplica a(api, clock, "a");
  bool leading_during_release = true;
  REQUIRE(a.elector.step());
  a.lock.timeouts.clear();
  // The API server holds the release's PUT until the client gives up.
  a.lock.before_update = [&] {
    leading_during_release = a.elector.leading();
    clock.advance(a.lock.timeouts.back());
    api.down = true;
  };
  const auto start = clock.monotonic_now();
  CHECK_FALSE(a.elector.release());
  CHECK_FALSE(leading_during_release);
  CHECK_FALSE(a.elector.leading());
  CHECK(clock.monotonic_now() - start <= 2s);
  for (const auto t : a.lock.timeouts) CHECK(t <= 2s);
}

namespace {

// A lock whose GET blocks until interrupt(): an API server that holds every request.
struct HoldingLock : LeaseLock {
  std::mutex mutex;
  std::condition_variable cv;
  bool interrupted = false;
  int in_flight = 0;
  int requests = 0;
  Expected<LeaseRecord> hold() {
    std::unique_lock lock(mutex);
    ++requests;
    ++in_flight;
    cv.notify_all();
    // Bounded in real time so a broken test cannot hang the suite.
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return interrupted; });
    --in_flight;
    return Failure{FailureReason::cancelled, "cancelled (shutting down)"};
  }
  Expected<LeaseRecord> get(std::chrono::milliseconds) override { return hold(); }
  Expected<LeaseRecord> create(const LeaseRecord&, std::chrono::milliseconds) override {
    return hold();
  }
  Expected<LeaseRecord> update(const LeaseRecord&, std::chrono::milliseconds) override {
    return hold();
  }
  std::string describe() const override { return "ns/lease"; }
  void interrupt() override {
    std::lock_guard lock(mutex);
    interrupted = true;
    cv.notify_all();
  }
  void resume() override {
    std::lock_guard lock(mutex);
    interrupted = false;
  }
};

}  // namespace

TEST_CASE("elector: stop() cancels the request in flight instead of waiting for it", "[threads]") {
  HoldingLock lock;
  FakeEnv clock;
  LeaderElector e(lock, ElectorConfig{"a", 10s, 8s, 2s}, clock, nullptr);
  e.start();
  {
    std::unique_lock held(lock.mutex);
    REQUIRE(lock.cv.wait_for(held, std::chrono::seconds(5), [&] { return lock.in_flight == 1; }));
  }
  const auto t0 = std::chrono::steady_clock::now();
  e.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(lock.requests == 1);  // never leading: nothing to release
  CHECK_FALSE(e.leading());
}

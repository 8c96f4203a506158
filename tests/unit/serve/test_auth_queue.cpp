// The pieces that keep basic auth up under a flood: CredentialCache (bounded, expiring),
// BasicAuth's caches of good and bad credentials, and AuthQueue's rules (identical credentials
// checked once, a per-source bound, sources with failures last, eviction in favour of a better
// placed source, stop() drops the queue). A cost-12 hash (~250 ms a check) keeps the one worker
// busy while the test arranges the queue behind it; every wait is bounded.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "exporter/serve/auth_queue.hpp"
#include "exporter/serve/basic_auth.hpp"
#include "exporter/serve/credential_cache.hpp"

using namespace kci;
using namespace std::chrono_literals;

namespace {

// Password "scrape-pass" (libxcrypt).
const std::string k_2b_04 = "$2b$04$eZzGWnU1KvPN4ILvhb.r5eLh7zOo4IMsA9TNMcwVGYOxoPu/e3ULG";
const std::string k_2y_12 = "$2y$12$gragvGoXlNtFQODHuevV4OOzry6CHFTXj5OapDgnq2n3d0etaoc.6";

std::string basic(const std::string& user, const std::string& pass) {
  httplib::Headers h = {httplib::make_basic_authentication_header(user, pass)};
  return h.begin()->second;
}

// The answers AuthQueue delivers, in order, with a bounded wait for them.
struct Answers {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::pair<std::string, AuthVerdict>> got;
  AuthQueue::Done as(const std::string& label) {
    return [this, label](AuthVerdict v) {
      std::lock_guard lock(mutex);
      got.emplace_back(label, v);
      changed.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return got.size() >= n; });
  }
  std::vector<std::pair<std::string, AuthVerdict>> snapshot() {
    std::lock_guard lock(mutex);
    return got;
  }
};

}  // namespace

TEST_CASE("credential cache: bounded, least recently used evicted, entries expire") {
  using Clock = CredentialCache::Clock;
  const auto t0 = Clock::time_point{} + 1h;
  CredentialCache cache(2, 10s);
  cache.insert("a", t0);
  cache.insert("b", t0);
  CHECK(cache.contains("a", t0));  // a is now the most recently used
  cache.insert("c", t0);           // evicts b
  CHECK(cache.size() == 2);
  CHECK(cache.contains("a", t0));
  CHECK_FALSE(cache.contains("b", t0));
  CHECK(cache.contains("c", t0 + 9s));
  CHECK_FALSE(cache.contains("c", t0 + 10s));  // expired, and removed
  CHECK(cache.size() == 1);
  cache.insert("a", t0 + 5s);  // renewed
  CHECK(cache.contains("a", t0 + 14s));
  CredentialCache none(0, 10s);
  none.insert("a", t0);
  CHECK_FALSE(none.contains("a", t0));
}

TEST_CASE("basic auth: good and bad answers are cached, so each costs one bcrypt") {
  BasicAuth auth({{"prometheus", k_2b_04}});
  const auto right = basic("prometheus", "scrape-pass"), wrong = basic("prometheus", "nope");
  CHECK(auth.check_cached(right) == CachedAuth::unknown);
  CHECK(auth.check(right));
  CHECK(auth.check(right));
  CHECK(auth.check_cached(right) == CachedAuth::good);
  CHECK_FALSE(auth.check(wrong));
  CHECK_FALSE(auth.check(wrong));
  CHECK(auth.check_cached(wrong) == CachedAuth::bad);
  CHECK_FALSE(auth.check(basic("nobody", "x")));
  CHECK_FALSE(auth.check(basic("nobody", "x")));
  CHECK(auth.bcrypt_runs() == 3);
  CHECK(auth.check_cached("Bearer x") == CachedAuth::bad);  // not Basic: no bcrypt at all
  CHECK(auth.bcrypt_runs() == 3);
  // Keyed digests: equal credentials, equal keys; never the password itself.
  CHECK(auth.credential_key(right) == auth.credential_key(right));
  CHECK(auth.credential_key(right) != auth.credential_key(wrong));
  CHECK(auth.credential_key(right).find("scrape-pass") == std::string::npos);
  CHECK(BasicAuth({{"prometheus", k_2b_04}}).credential_key(right) != auth.credential_key(right));
  CHECK(auth.credential_key("Basic !!!").empty());
}

TEST_CASE("basic auth: expired cache entries cost bcrypt again") {
  BasicAuthCacheLimits limits;
  limits.ttl = std::chrono::steady_clock::duration::zero();
  BasicAuth auth({{"prometheus", k_2b_04}}, limits);
  CHECK(auth.check(basic("prometheus", "scrape-pass")));
  CHECK(auth.check(basic("prometheus", "scrape-pass")));
  CHECK(auth.bcrypt_runs() == 2);
}

TEST_CASE("auth queue: identical credentials are checked once", "[threads]") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2y_12}});
  Answers answers;  // outlives the queue: a worker may answer after the test's last line
  AuthQueue queue;
  for (int i = 0; i < 10; ++i)
    CHECK_FALSE(queue.submit(auth, "10.0.0.1", basic("y", "wrong"), answers.as("w")));
  REQUIRE(answers.wait_for(10));
  for (const auto& [label, v] : answers.snapshot()) CHECK(v == AuthVerdict::denied);
  CHECK(auth->bcrypt_runs() == 1);
  // Known now: answered at once, no queue.
  CHECK(queue.submit(auth, "10.0.0.1", basic("y", "wrong"), answers.as("x")) ==
        AuthVerdict::denied);
  CHECK(auth->bcrypt_runs() == 1);
}

TEST_CASE("auth queue: one source queues at most its share; more is busy at once", "[threads]") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2y_12}});
  AuthQueueLimits limits;
  limits.max_queued_per_source = 2;
  limits.reserved_workers = 0;
  Answers answers;  // outlives the queue: a worker may answer after the test's last line
  AuthQueue queue(limits);
  CHECK_FALSE(queue.submit(auth, "busy-host", basic("y", "w0"), answers.as("w0")));
  CHECK_FALSE(queue.submit(auth, "busy-host", basic("y", "w1"), answers.as("w1")));
  // Six checks microseconds apart, each bcrypt ~250 ms on one worker: at most one of them has
  // left the queue for the worker, so at most 3 are taken (2 queued + 1 running) and the others
  // are busy at once, whenever the worker happens to start.
  int busy = 0, taken = 2;
  for (int i = 2; i < 6; ++i) {
    const std::string label = "w" + std::to_string(i);
    const auto v = queue.submit(auth, "busy-host", basic("y", label), answers.as(label));
    if (!v)
      ++taken;
    else if (*v == AuthVerdict::busy)
      ++busy;
  }
  CHECK(taken <= 3);
  CHECK(busy == 6 - taken);
  // Another source still gets in.
  CHECK_FALSE(queue.submit(auth, "other-host", basic("y", "scrape-pass"), answers.as("ok")));
  REQUIRE(answers.wait_for(static_cast<std::size_t>(taken) + 1));
  queue.stop();
}

TEST_CASE("auth queue: a source with a refused password waits behind one without", "[threads]") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2y_12}});
  AuthQueueLimits limits;
  limits.reserved_workers = 0;  // the turns alone
  Answers answers;  // outlives the queue: a worker may answer after the test's last line
  AuthQueue queue(limits);
  // The flooder has a failure on record (a header that is not Basic: no bcrypt).
  CHECK(queue.submit(auth, "flooder", "Bearer x", answers.as("-")) == AuthVerdict::denied);
  CHECK_FALSE(queue.submit(auth, "someone", basic("y", "blocker"), answers.as("blocker")));
  std::this_thread::sleep_for(50ms);  // the worker takes the blocker (it runs ~250 ms)
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(
        queue.submit(auth, "flooder", basic("y", "w" + std::to_string(i)), answers.as("flood")));
  CHECK_FALSE(queue.submit(auth, "scraper", basic("y", "scrape-pass"), answers.as("scraper")));
  REQUIRE(answers.wait_for(2, 20s));  // the blocker, then the scraper, ahead of the flood
  const auto got = answers.snapshot();
  INFO(got[0].first << ", " << got[1].first);
  CHECK(got[1].first == "scraper");
  CHECK(got[1].second == AuthVerdict::allowed);
  queue.stop();
}

TEST_CASE("auth queue: a full queue makes room for a better placed source", "[threads]") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2y_12}});
  AuthQueueLimits limits;
  limits.max_queued = 2;
  limits.reserved_workers = 0;
  Answers answers;  // outlives the queue: a worker may answer after the test's last line
  AuthQueue queue(limits);
  CHECK(queue.submit(auth, "flooder", "Bearer x", answers.as("-")) == AuthVerdict::denied);
  CHECK_FALSE(queue.submit(auth, "someone", basic("y", "blocker"), answers.as("blocker")));
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(queue.submit(auth, "flooder", basic("y", "w0"), answers.as("w0")));
  CHECK_FALSE(queue.submit(auth, "flooder", basic("y", "w1"), answers.as("w1")));
  // Full (2 queued). The scraper has no failure: the flooder's newest check gives way.
  CHECK_FALSE(queue.submit(auth, "scraper", basic("y", "scrape-pass"), answers.as("scraper")));
  REQUIRE(answers.wait_for(1, 1s));  // w1, answered busy inside submit()
  CHECK(answers.snapshot()[0] == std::make_pair(std::string("w1"), AuthVerdict::busy));
  // Another check of the flooder is not better placed than anything queued: busy at once.
  CHECK(queue.submit(auth, "flooder", basic("y", "w2"), answers.as("w2")) == AuthVerdict::busy);
  queue.stop();
}

TEST_CASE("auth queue: stop() drops the queued checks at once", "[threads]") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2y_12}});
  Answers answers;
  const auto t0 = std::chrono::steady_clock::now();
  {
    AuthQueue queue;
    for (int i = 0; i < 8; ++i)
      CHECK_FALSE(queue.submit(auth, "host-" + std::to_string(i % 4),
                               basic("y", "w" + std::to_string(i)), answers.as("w")));
    std::this_thread::sleep_for(50ms);
    queue.stop();
    const auto got = answers.snapshot();
    CHECK(got.size() >= 6);  // all but the ones running (a worker and the reserved one)
    for (const auto& [label, v] : got) CHECK(v == AuthVerdict::stopped);
    CHECK(queue.submit(auth, "late", basic("y", "x"), answers.as("late")) == AuthVerdict::stopped);
  }  // joins the worker: at most the one check it runs
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // 8 checks would be ~2 s and more
  CHECK(auth->bcrypt_runs() <= 2);
}

TEST_CASE(
    "auth queue: the reserved worker checks a source without failures while a flood's "
    "check runs",
    "[threads]") {
  // y: cost 12 (~250 ms); b: cost 4 (~1 ms).
  auto auth = std::make_shared<BasicAuth>(
      std::map<std::string, std::string>{{"y", k_2y_12}, {"b", k_2b_04}});
  Answers answers;  // outlives the queue: a worker may answer after the test's last line
  AuthQueue queue;
  CHECK(queue.submit(auth, "flooder", "Bearer x", answers.as("-")) == AuthVerdict::denied);
  CHECK_FALSE(queue.submit(auth, "flooder", basic("y", "w0"), answers.as("w0")));
  CHECK_FALSE(queue.submit(auth, "flooder", basic("y", "w1"), answers.as("w1")));
  std::this_thread::sleep_for(20ms);  // the worker runs w0; the reserved one does not take w1
  CHECK_FALSE(queue.submit(auth, "scraper", basic("b", "scrape-pass"), answers.as("scraper")));
  REQUIRE(answers.wait_for(1));
  CHECK(answers.snapshot()[0] == std::make_pair(std::string("scraper"), AuthVerdict::allowed));
  queue.stop();
}

TEST_CASE("auth queue: the sources it remembers are bounded") {
  auto auth = std::make_shared<BasicAuth>(std::map<std::string, std::string>{{"y", k_2b_04}});
  AuthQueueLimits limits;
  limits.max_sources = 8;
  AuthQueue queue(limits);
  for (int i = 0; i < 100; ++i)
    CHECK(queue.submit(auth, "host-" + std::to_string(i), "Bearer x", nullptr) ==
          AuthVerdict::denied);
  CHECK(queue.remembered_sources() <= 8);
}

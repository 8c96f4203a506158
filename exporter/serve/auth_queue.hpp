#pragma once
// The bcrypt checks of basic auth, off the event loop and bounded, so that a flood of wrong
// passwords neither keeps a correct client out nor holds up shutdown (issue 21, "Auth that
// holds under a flood"):
//   - answers BasicAuth already knows (its caches of recent good and bad credentials, or a
//     header that is not Basic) come back from submit() at once: no queue, no bcrypt;
//   - other checks run on `workers` threads (default 1), plus `reserved_workers` (default 1)
//     that take only checks of sources without a recent failure: a flood of wrong passwords
//     burns at most `workers` cores, and a correct client does not wait for its check in
//     progress;
//   - identical credentials (equal BasicAuth::credential_key) are checked once: a request
//     arriving while the same credentials are queued or being checked waits for that check;
//   - at most `max_queued` checks wait in all, at most `max_queued_per_source` from one source
//     (the client host: source_of() in web_server.cpp); beyond that a check is refused at once
//     (`busy`: the server answers 503 with Retry-After, no bcrypt);
//   - sources take turns (round robin), and a source with a refused password in the last
//     `failure_memory` waits behind every source without one: a host flooding wrong passwords
//     does not delay a host sending right ones. When the queue is full, a check from a better
//     placed source (no recent failure, or fewer checks queued) takes the slot of the newest
//     check of the worst placed one, which is answered `busy`;
//   - stop() drops every queued check (answered `stopped`) and returns at once; the destructor
//     joins the workers, waiting at most for the one check each is running.
// What it cannot tell apart: clients behind one address (a NAT, a proxy) share a source, so a
// flood from one of them crowds the others out; docs/security.md says so.
// Thread-safe. `done` is called exactly once for each submit() that returned nullopt, on a
// worker thread or in the submit()/stop() call that dropped it, never under the queue's lock.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "exporter/serve/basic_auth.hpp"

namespace kci {

struct AuthQueueLimits {
  std::size_t workers = 1;           // take any check
  std::size_t reserved_workers = 1;  // take only checks of sources without a recent failure
  std::size_t max_queued = 64;
  std::size_t max_queued_per_source = 4;
  std::chrono::steady_clock::duration failure_memory = std::chrono::seconds(60);
  std::size_t max_sources = 4096;  // sources remembered (for their failures)
};

enum class AuthVerdict {
  allowed,
  denied,
  busy,     // refused without bcrypt: the queue (or the source's share of it) was full
  stopped,  // dropped by stop()
};

class AuthQueue {
 public:
  using Done = std::function<void(AuthVerdict)>;
  explicit AuthQueue(AuthQueueLimits limits = {});
  ~AuthQueue();
  AuthQueue(const AuthQueue&) = delete;
  AuthQueue& operator=(const AuthQueue&) = delete;

  // The verdict at once when no bcrypt is needed or the check is refused (then `done` is never
  // called); otherwise nullopt, and `done` gets the verdict later.
  std::optional<AuthVerdict> submit(const std::shared_ptr<BasicAuth>& auth,
                                    const std::string& source, const std::string& header,
                                    Done done);
  // Drops every queued check (`stopped`); checks submitted from now on are `stopped` too.
  void stop();
  std::size_t queued() const;
  std::size_t remembered_sources() const;  // at most max_sources

 private:
  using Clock = std::chrono::steady_clock;
  struct Job {
    std::shared_ptr<BasicAuth> auth;
    std::string header;
    std::string key;
    std::vector<std::pair<std::string, Done>> waiters;  // source and callback of each request
  };
  struct Source {
    std::list<std::shared_ptr<Job>> queued;  // oldest first
    Clock::time_point failed_until{};
  };
  using JobKey = std::pair<const BasicAuth*, std::string>;

  void work(bool reserved);
  // Under m_mutex: whether a check a worker may take is queued.
  bool has_work(bool reserved, Clock::time_point now);
  bool failed(const Source& s, Clock::time_point now) const { return now < s.failed_until; }
  // Under m_mutex: the entry of source `name`, made room for when max_sources are remembered.
  Source& source_entry(const std::string& name, Clock::time_point now);
  void note_failure(const std::string& name, Clock::time_point now);  // under m_mutex
  // Under m_mutex: the next check (only of a source without a recent failure when `reserved`);
  // null when there is none.
  std::shared_ptr<Job> take(bool reserved, Clock::time_point now);
  // Under m_mutex: removes the newest check of the worst placed source if it is placed worse
  // than `source` would be with one more; its waiters go to `dropped`.
  bool evict_for(const std::string& source, Clock::time_point now,
                 std::vector<std::pair<std::string, Done>>& dropped);

  const AuthQueueLimits m_limits;
  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stopping = false;
  std::size_t m_queued = 0;
  std::unordered_map<std::string, Source> m_sources;
  std::list<std::string> m_turns;                   // sources with queued checks, next turn first
  std::map<JobKey, std::shared_ptr<Job>> m_by_key;  // queued or running
  std::vector<std::thread> m_workers;
};

}  // namespace kci

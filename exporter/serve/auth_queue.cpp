#include "exporter/serve/auth_queue.hpp"

#include <algorithm>
#include <tuple>

namespace kci {

AuthQueue::AuthQueue(AuthQueueLimits limits) : m_limits(limits) {
  const std::size_t workers = std::max<std::size_t>(1, m_limits.workers);
  m_workers.reserve(workers + m_limits.reserved_workers);
  for (std::size_t i = 0; i < workers; ++i) m_workers.emplace_back([this] { work(false); });
  for (std::size_t i = 0; i < m_limits.reserved_workers; ++i)
    m_workers.emplace_back([this] { work(true); });
}

AuthQueue::~AuthQueue() {
  stop();
  for (auto& t : m_workers) t.join();
}

std::size_t AuthQueue::queued() const {
  std::lock_guard lock(m_mutex);
  return m_queued;
}

AuthQueue::Source& AuthQueue::source_entry(const std::string& name, Clock::time_point now) {
  if (m_sources.size() >= m_limits.max_sources && !m_sources.contains(name)) {
    // Forget the sources with nothing queued and no failure to remember, then, if still full,
    // every source with nothing queued (at most max_queued have something queued): memory
    // stays bounded, at worst a forgotten flooder gets one more check at the front.
    std::erase_if(m_sources, [&](const auto& kv) {
      return kv.second.queued.empty() && !failed(kv.second, now);
    });
    if (m_sources.size() >= m_limits.max_sources)
      std::erase_if(m_sources, [](const auto& kv) { return kv.second.queued.empty(); });
  }
  return m_sources[name];
}

std::size_t AuthQueue::remembered_sources() const {
  std::lock_guard lock(m_mutex);
  return m_sources.size();
}

void AuthQueue::note_failure(const std::string& name, Clock::time_point now) {
  source_entry(name, now).failed_until = now + m_limits.failure_memory;
}

bool AuthQueue::has_work(bool reserved, Clock::time_point now) {
  if (m_queued == 0) return false;
  if (!reserved) return true;
  return std::any_of(m_turns.begin(), m_turns.end(),
                     [&](const std::string& name) { return !failed(m_sources[name], now); });
}

std::shared_ptr<AuthQueue::Job> AuthQueue::take(bool reserved, Clock::time_point now) {
  // The first source in turn without a recent failure, else (not reserved) the first in turn.
  auto turn = reserved ? m_turns.end() : m_turns.begin();
  for (auto it = m_turns.begin(); it != m_turns.end(); ++it) {
    if (!failed(m_sources[*it], now)) {
      turn = it;
      break;
    }
  }
  if (turn == m_turns.end()) return nullptr;  // reserved, and only flooders queued
  Source& source = m_sources[*turn];
  auto job = std::move(source.queued.front());
  source.queued.pop_front();
  --m_queued;
  if (source.queued.empty())
    m_turns.erase(turn);
  else
    m_turns.splice(m_turns.end(), m_turns, turn);  // its next check waits for the others
  return job;
}

bool AuthQueue::evict_for(const std::string& newcomer, Clock::time_point now,
                          std::vector<std::pair<std::string, Done>>& dropped) {
  const Source& mine = m_sources[newcomer];
  const auto my_rank = std::make_tuple(failed(mine, now), mine.queued.size() + 1);
  std::list<std::string>::iterator victim = m_turns.end();
  std::tuple<bool, std::size_t> worst{false, 0};
  for (auto it = m_turns.begin(); it != m_turns.end(); ++it) {
    if (*it == newcomer) continue;
    const Source& s = m_sources[*it];
    const auto rank = std::make_tuple(failed(s, now), s.queued.size());
    if (victim == m_turns.end() || rank > worst) {
      victim = it;
      worst = rank;
    }
  }
  if (victim == m_turns.end() || !(worst > my_rank)) return false;
  Source& s = m_sources[*victim];
  auto job = std::move(s.queued.back());
  s.queued.pop_back();
  --m_queued;
  if (s.queued.empty()) m_turns.erase(victim);
  m_by_key.erase({job->auth.get(), job->key});
  for (auto& w : job->waiters) dropped.push_back(std::move(w));
  return true;
}

std::optional<AuthVerdict> AuthQueue::submit(const std::shared_ptr<BasicAuth>& auth,
                                             const std::string& source, const std::string& header,
                                             Done done) {
  const CachedAuth cached = auth->check_cached(header);
  if (cached == CachedAuth::good) return AuthVerdict::allowed;
  if (cached == CachedAuth::bad) {
    std::lock_guard lock(m_mutex);
    note_failure(source, Clock::now());
    return AuthVerdict::denied;
  }
  std::string key = auth->credential_key(header);
  std::vector<std::pair<std::string, Done>> dropped;
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping) return AuthVerdict::stopped;
    if (auto it = m_by_key.find({auth.get(), key}); it != m_by_key.end()) {
      it->second->waiters.emplace_back(source, std::move(done));
      return std::nullopt;
    }
    const auto now = Clock::now();
    Source& mine = source_entry(source, now);
    if (mine.queued.size() >= m_limits.max_queued_per_source) return AuthVerdict::busy;
    if (m_queued >= m_limits.max_queued && !evict_for(source, now, dropped))
      return AuthVerdict::busy;
    auto job = std::make_shared<Job>();
    job->auth = auth;
    job->header = header;
    job->key = std::move(key);
    job->waiters.emplace_back(source, std::move(done));
    m_by_key.emplace(JobKey{auth.get(), job->key}, job);
    if (mine.queued.empty()) m_turns.push_back(source);  // (evict_for() adds or erases none)
    mine.queued.push_back(std::move(job));
    ++m_queued;
  }
  m_wake.notify_all();  // a reserved worker may not take it: wake every worker (a few)
  for (auto& w : dropped) w.second(AuthVerdict::busy);
  return std::nullopt;
}

void AuthQueue::stop() {
  std::vector<std::pair<std::string, Done>> dropped;
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
    for (auto& [name, source] : m_sources) {
      for (auto& job : source.queued) {
        m_by_key.erase({job->auth.get(), job->key});
        for (auto& w : job->waiters) dropped.push_back(std::move(w));
      }
      source.queued.clear();
    }
    m_turns.clear();
    m_queued = 0;
  }
  m_wake.notify_all();
  for (auto& w : dropped) w.second(AuthVerdict::stopped);
}

void AuthQueue::work(bool reserved) {
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(m_mutex);
      // A reserved worker also looks again every second: a source's failure expires unnoticed.
      while (!m_stopping && !has_work(reserved, Clock::now()))
        m_wake.wait_for(lock, std::chrono::seconds(1));
      if (m_stopping) return;
      job = take(reserved, Clock::now());
    }
    if (!job) continue;
    const bool ok = job->auth->check(job->header);
    std::vector<std::pair<std::string, Done>> waiters;
    {
      std::lock_guard lock(m_mutex);
      m_by_key.erase({job->auth.get(), job->key});
      waiters = std::move(job->waiters);
      if (!ok) {
        const auto now = Clock::now();
        for (const auto& w : waiters) note_failure(w.first, now);
      }
    }
    for (auto& w : waiters) w.second(ok ? AuthVerdict::allowed : AuthVerdict::denied);
  }
}

}  // namespace kci

#pragma once
// A bounded, expiring set of credential digests, least recently used evicted first: BasicAuth
// (basic_auth.hpp) keeps one of credentials bcrypt accepted and one of credentials it refused,
// so neither a returning client nor a repeated wrong password pays for bcrypt again. Keys are
// opaque bytes (BasicAuth's HMAC-SHA-256 digests under a random per-process key, never a
// password). An entry lives `ttl` from its insertion (a hit does not extend it); beyond
// `capacity` entries the least recently used one goes. Not thread-safe: the owner locks.
#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

namespace kci {

class CredentialCache {
 public:
  using Clock = std::chrono::steady_clock;
  CredentialCache(std::size_t capacity, Clock::duration ttl);

  // Whether `key` is present and unexpired at `now`; an expired entry is removed, a live one
  // becomes the most recently used.
  bool contains(const std::string& key, Clock::time_point now);
  // Adds `key` (or renews it) expiring at now + ttl; evicts the least recently used entry when
  // over capacity. A capacity of 0 keeps nothing.
  void insert(const std::string& key, Clock::time_point now);
  std::size_t size() const { return m_index.size(); }

 private:
  struct Entry {
    std::string key;
    Clock::time_point expires;
  };
  std::size_t m_capacity;
  Clock::duration m_ttl;
  std::list<Entry> m_lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
};

}  // namespace kci

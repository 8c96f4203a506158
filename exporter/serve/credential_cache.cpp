#include "exporter/serve/credential_cache.hpp"

namespace kci {

CredentialCache::CredentialCache(std::size_t capacity, Clock::duration ttl)
    : m_capacity(capacity), m_ttl(ttl) {}

bool CredentialCache::contains(const std::string& key, Clock::time_point now) {
  auto it = m_index.find(key);
  if (it == m_index.end()) return false;
  if (now >= it->second->expires) {
    m_lru.erase(it->second);
    m_index.erase(it);
    return false;
  }
  m_lru.splice(m_lru.begin(), m_lru, it->second);
  return true;
}

void CredentialCache::insert(const std::string& key, Clock::time_point now) {
  if (m_capacity == 0) return;
  if (auto it = m_index.find(key); it != m_index.end()) {
    it->second->expires = now + m_ttl;
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    return;
  }
  m_lru.push_front(Entry{key, now + m_ttl});
  m_index.emplace(key, m_lru.begin());
  while (m_index.size() > m_capacity) {
    m_index.erase(m_lru.back().key);
    m_lru.pop_back();
  }
}

}  // namespace kci

#include "exporter/util/cancellation.hpp"

#include <utility>

namespace kci {

void Cancellation::cancel(const std::string& reason) {
  // Hooks run under the mutex, so a Subscription being destroyed on another thread waits for
  // its hook instead of racing it (the hook typically points into that thread's stack).
  std::lock_guard lock(m_mutex);
  if (m_cancelled) return;
  m_cancelled = true;
  m_reason = reason;
  for (auto& [id, hook] : m_hooks) hook();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(m_mutex);
  return m_cancelled;
}

std::string Cancellation::reason() const {
  std::lock_guard lock(m_mutex);
  return m_reason;
}

bool Cancellation::wait_for(std::chrono::milliseconds duration, Env& env) const {
  return env.sleep_for(duration, *this);
}

Cancellation::Subscription Cancellation::on_cancel(std::function<void()> hook) const {
  std::lock_guard lock(m_mutex);
  if (m_cancelled) {
    hook();
    return {};
  }
  const std::uint64_t id = m_next_id++;
  m_hooks.emplace(id, std::move(hook));
  return Subscription(this, id);
}

void Cancellation::unsubscribe(std::uint64_t id) const {
  std::lock_guard lock(m_mutex);
  m_hooks.erase(id);
}

const Cancellation& Cancellation::never() {
  static const Cancellation k_never;
  return k_never;
}

Cancellation::Subscription::Subscription(Subscription&& other) noexcept
    : m_owner(std::exchange(other.m_owner, nullptr)), m_id(other.m_id) {}

Cancellation::Subscription& Cancellation::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    if (m_owner) m_owner->unsubscribe(m_id);
    m_owner = std::exchange(other.m_owner, nullptr);
    m_id = other.m_id;
  }
  return *this;
}

Cancellation::Subscription::~Subscription() {
  if (m_owner) m_owner->unsubscribe(m_id);
}

}  // namespace kci

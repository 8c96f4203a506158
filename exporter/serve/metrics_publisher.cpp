#include "exporter/serve/metrics_publisher.hpp"

namespace kci {

MetricsPublisher::MetricsPublisher() : m_current(std::make_shared<const Published>()) {}

void MetricsPublisher::publish(std::shared_ptr<const Published> next) {
  std::shared_ptr<const Published> old;
  {
    std::lock_guard lock(m_mutex);
    old = std::exchange(m_current, std::move(next));
  }
  // `old` is freed here, outside the lock, unless a request still holds it.
}

std::shared_ptr<const Published> MetricsPublisher::current() const {
  std::lock_guard lock(m_mutex);
  return m_current;
}

}  // namespace kci

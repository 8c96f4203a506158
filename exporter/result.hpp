#pragma once
// Run-time results (HTTP, JSON, ...) travel as values; only start-up/config problems throw.
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace kci {

// Why a poll failed; each value is also the `reason` label of the scrape error counter.
enum class FailureReason { connect, timeout, http_status, parse, empty, too_large };

const char* to_string(FailureReason reason);

struct Failure {
  FailureReason reason;
  std::string message;  // one line, no secrets
};

template <class T>
class Expected {
 public:
  Expected(T value) : m_v(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Expected(Failure failure) : m_v(std::move(failure)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(m_v); }
  const T& value() const { return std::get<0>(m_v); }
  const Failure& failure() const { return std::get<1>(m_v); }

 private:
  std::variant<T, Failure> m_v;
};

// Fatal start-up/config problem: caught in main and mapped to exit code 2.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace kci

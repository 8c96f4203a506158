#pragma once
// Run-time results (HTTP, JSON, Parquet, S3, ...) travel as values; only start-up/config
// problems throw (ConfigError, caught in main and mapped to exit code 2).
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kci {

// Why an operation failed. The first k_poll_failure_reason_count values are the reasons a
// Kubecost poll can fail, and each is a `reason` label of the scrape error counter; the rest
// belong to s3-export (AWS, local files, Parquet) and never appear in serve mode's series.
enum class FailureReason : int {
  connect,          // TCP/TLS connection, DNS
  timeout,          // connect or whole-request deadline
  http_status,      // a non-2xx answer, or Kubecost's own `code` != 200
  parse,            // an answer that is not what the API documents
  empty,            // a well-formed answer with no data
  no_data_yet,      // only `null` sets for a short window: Kubecost has not built the hour yet
  too_large,        // an answer over the configured cap
  too_many_series,  // a poll that would publish more series than maxSeries (serve)
  internal,         // an exception caught on the poll thread (a bug: logged and counted)
  aws,              // S3/STS/Secrets Manager answered with an error
  credentials,      // no usable AWS credentials (files, env, token exchange)
  parquet,          // the Parquet writer refused a value or a write
  io,               // a local file could not be written, read or removed
  cancelled,        // the run was interrupted (SIGTERM/SIGINT) or passed its deadline
  count
};
inline constexpr std::size_t k_failure_reason_count =
    static_cast<std::size_t>(FailureReason::count);
inline constexpr std::size_t k_poll_failure_reason_count =
    static_cast<std::size_t>(FailureReason::internal) + 1;

// The `reason` label spelling: "connect", "http_status", ...
std::string_view to_string(FailureReason reason);

// Which wait ran out, for a FailureReason::timeout from an HTTP peer.
enum class TimeoutKind : std::uint8_t {
  none,
  connect,   // no connection within the connect timeout
  idle,      // the peer sent nothing within the read (idle) timeout
  deadline,  // no complete answer within the whole-request deadline
};

struct Failure {
  FailureReason reason;
  std::string message;  // one line, no secrets
  int http_status = 0;  // the status of the answer that caused it; 0 when there was none
  // The consumer of the answer refused its bytes and holds the failure to report
  // (http/body_sink.hpp: sink_refused, is_sink_refused).
  bool refused_by_sink = false;
  TimeoutKind timeout = TimeoutKind::none;

  bool is_server_error() const { return http_status >= 500 && http_status <= 599; }
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

// Success carries nothing: `return {};` for success, `return Failure{...};` otherwise.
template <>
class Expected<void> {
 public:
  Expected() = default;
  Expected(Failure failure) : m_failure(std::move(failure)), m_ok(false) {}  // NOLINT
  bool ok() const { return m_ok; }
  explicit operator bool() const { return ok(); }
  const Failure& failure() const { return m_failure; }

 private:
  Failure m_failure{FailureReason::internal, {}};
  bool m_ok = true;
};

// Fatal start-up/config problem: caught in main and mapped to exit code 2.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace kci

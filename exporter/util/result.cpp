#include "exporter/util/result.hpp"

namespace kci {

std::string_view to_string(FailureReason reason) {
  static constexpr std::array<std::string_view, k_failure_reason_count> k_names = {
      "connect",   "timeout",         "http_status", "parse", "empty",       "no_data_yet",
      "too_large", "too_many_series", "internal",    "aws",   "credentials", "parquet",
      "io",        "cancelled"};
  const auto i = static_cast<std::size_t>(reason);
  return i < k_names.size() ? k_names[i] : "unknown";
}

}  // namespace kci

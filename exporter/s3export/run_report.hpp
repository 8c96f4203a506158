#pragma once
// What an s3-export run reports when it ends, and where the report goes (the Pushgateway, or a
// test's recorder).
#include <cstdint>

namespace kci {

struct RunReport {
  bool succeeded = false;  // every due day was exported (also when none was due)
  std::uint64_t days_written = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t days_failed = 0;
  std::int64_t finished_at = 0;       // Unix seconds, from the run's clock
  std::uint64_t assets_failures = 0;  // days exported without node columns (Assets API failed)
  // Hourly granularity: days exported from the ETL's daily set because the On-Demand API could
  // not answer them whole (outside Prometheus' retention, or cut short).
  std::uint64_t days_daily_fallback = 0;

  bool operator==(const RunReport&) const = default;
};

class RunReporter {
 public:
  virtual ~RunReporter() = default;
  // Called once per run, also when the run stops early. Must not throw; failures are logged.
  virtual void report(const RunReport& report) = 0;
};

}  // namespace kci

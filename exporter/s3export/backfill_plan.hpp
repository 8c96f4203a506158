#pragma once
// Which cluster-days a run exports: a pure function of the clock, the back-fill setting, the
// days Kubecost has and the keys already in the bucket, so every skip rule is testable alone.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kci {

// Days first..last inclusive (UTC day numbers).
struct BackfillWindow {
  std::int64_t first = 0;
  std::int64_t last = -1;
};

// The AWS kubecost-s3-exporter's Kubecost window, in UTC: [midnight(now - P days + 1 day),
// midnight(now - 2 days)) with P = backfill_days (awslabs/containers-cost-allocation-dashboard
// main.py kubecost_backfill_period_window_calc), i.e. the days today-P+1 .. today-3. The day
// that ended less than 48 hours ago is left for a later run: reconciled costs (RIs, Savings
// Plans, Spot) settle after about 48 hours. Empty when backfill_days < 4 (P = 3, the smallest
// value the config takes, gives an empty window, as in AWS's exporter).
BackfillWindow backfill_window(std::int64_t now_unix_seconds, int backfill_days);

enum class DayAction {
  export_day,     // Kubecost has it and the bucket lacks it
  already_in_s3,  // a key for the day exists: never overwritten (checked first)
  no_data,        // Kubecost has nothing for the day: nothing is written, a warning is logged
};

struct PlannedDay {
  std::int64_t day;
  DayAction action;

  bool operator==(const PlannedDay&) const = default;
};

// Every day of `window` in ascending order with what to do about it. `keys_in_s3` are keys
// listed under the window's month prefixes; only "<YYYY-MM-DD>_<cluster_name>.snappy.parquet"
// names count (object_key.hpp), anything else in the bucket is ignored.
std::vector<PlannedDay> plan_backfill(const BackfillWindow& window,
                                      const std::set<std::int64_t>& days_in_kubecost,
                                      const std::vector<std::string>& keys_in_s3,
                                      std::string_view cluster_name);

}  // namespace kci

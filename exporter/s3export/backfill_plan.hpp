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

// From `backfill_days` days ago up to two days ago: reconciled costs settle after about 48
// hours, so the last two days are left for a later run. Empty when backfill_days < 2 (the
// config refuses values under 3).
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

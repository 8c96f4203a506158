#include "exporter/s3export/backfill_plan.hpp"

#include "exporter/s3export/object_key.hpp"
#include "exporter/s3export/utc_day.hpp"

namespace kci {

BackfillWindow backfill_window(std::int64_t now_unix_seconds, int backfill_days) {
  // midnight(now - P days + 1 day) .. midnight(now - 2 days), end excluded.
  const std::int64_t first = utc_day(now_unix_seconds - (backfill_days - 1) * k_day_seconds);
  const std::int64_t end = utc_day(now_unix_seconds - 2 * k_day_seconds);
  return {first, end - 1};
}

std::vector<PlannedDay> plan_backfill(const BackfillWindow& window,
                                      const std::set<std::int64_t>& days_in_kubecost,
                                      const std::vector<std::string>& keys_in_s3,
                                      std::string_view cluster_name) {
  std::set<std::int64_t> in_s3;
  for (const auto& key : keys_in_s3)
    if (auto day = day_of_key(key, cluster_name)) in_s3.insert(*day);
  std::vector<PlannedDay> plan;
  for (std::int64_t day = window.first; day <= window.last; ++day) {
    if (in_s3.count(day))
      plan.push_back({day, DayAction::already_in_s3});
    else if (!days_in_kubecost.count(day))
      plan.push_back({day, DayAction::no_data});
    else
      plan.push_back({day, DayAction::export_day});
  }
  return plan;
}

}  // namespace kci

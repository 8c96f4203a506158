#include "exporter/s3export/s3_export.hpp"

#include <cstdio>

#include "exporter/s3export/backfill_plan.hpp"
#include "exporter/s3export/http_kubecost_api.hpp"
#include "exporter/s3export/object_key.hpp"
#include "exporter/s3export/utc_day.hpp"
#include "exporter/util/logging.hpp"

namespace kci {
namespace {

// AWS's kubecost-s3-exporter's words for a day without data, which its troubleshooting guide
// tells users to look for at level ERROR (awslabs/containers-cost-allocation-dashboard main.py
// execute_kubecost_allocation_api, README.md "Troubleshooting"); on one line here, and, as
// there, the run still exits 0.
constexpr const char* k_aws_empty_answer =
    "API response appears to be empty. This script collects data between 72 hours ago and 48 "
    "hours ago. Make sure that you have data at least within this timeframe.";

// Every key under the window's month prefixes.
Expected<std::vector<std::string>> keys_in_window(ObjectStore& store, const ClusterArn& cluster,
                                                  const BackfillWindow& window) {
  std::vector<std::string> keys;
  for (const auto& prefix : month_prefixes(cluster, window.first, window.last)) {
    auto listed = store.list_keys(prefix);
    if (!listed.ok()) return listed.failure();
    keys.insert(keys.end(), listed.value().begin(), listed.value().end());
  }
  return keys;
}

}  // namespace

int run_s3_export_days(const S3ExportRunSettings& settings, KubecostApi& api, ObjectStore& store,
                       const Env& env, RunReporter& reporter, const Cancellation& cancel) {
  RunReport report;
  auto finish = [&](bool succeeded) {
    report.succeeded = succeeded;
    report.finished_at = env.wall_unix_time();
    reporter.report(report);
    return succeeded ? 0 : 1;
  };
  const BackfillWindow window = backfill_window(env.wall_unix_time(), settings.backfill_days);
  if (window.first > window.last) {
    // BACKFILL_PERIOD_DAYS=3: [midnight(now-2d), midnight(now-2d)), no day (AWS's main.py still
    // asks Kubecost for that zero-length window; nothing is asked here).
    log::info("s3-export back-fill window is empty: no day to export, Kubecost and S3 not asked",
              {{"backfill_period_days", std::to_string(settings.backfill_days)},
               {"bucket", settings.bucket},
               {"cluster", settings.cluster.name}});
    return finish(true);
  }
  log::info("s3-export back-fill period", {{"from", format_day(window.first)},
                                           {"to", format_day(window.last)},
                                           {"bucket", settings.bucket},
                                           {"cluster", settings.cluster.name}});
  auto have = api.days_with_data(window.first, window.last);
  if (!have.ok()) {
    log::error("s3-export cannot ask Kubecost which days it has",
               {{"reason", to_string(have.failure().reason)}, {"error", have.failure().message}});
    return finish(false);
  }
  auto keys = keys_in_window(store, settings.cluster, window);
  if (!keys.ok()) {
    log::error("s3-export cannot list the bucket", {{"error", keys.failure().message}});
    return finish(false);
  }
  DayExportSettings day_settings = settings.day;
  day_settings.kubecost_cluster = have.value().cluster;  // the id Kubecost knows this cluster by
  DayExporter exporter(day_settings, api, store, cancel);
  std::string fallback_days;  // logged once, at the end
  for (const PlannedDay& planned :
       plan_backfill(window, have.value().days, keys.value(), settings.cluster.name)) {
    const std::string date = format_day(planned.day);
    if (cancel.cancelled()) {
      log::error("s3-export stopped: no further day is started; the next run fills the gap",
                 {{"reason", cancel.reason()}, {"next_day", date}});
      return finish(false);
    }
    if (planned.action == DayAction::already_in_s3) {
      log::info("day already in S3: skipped", {{"day", date}});
      continue;
    }
    if (planned.action == DayAction::no_data) {
      log::error(k_aws_empty_answer,
                 {{"day", date},
                  {"detail", "Kubecost has no data for the day: skipped, nothing written"}});
      continue;
    }
    const std::string key = object_key(settings.cluster, planned.day, settings.day.codec);
    auto r = exporter.export_day(planned.day, key);
    if (!r.ok() && is_already_present(r.failure())) {
      // The listing missed it (or another run wrote it meanwhile): the conditional write kept
      // the object that is there.
      log::info("day already in S3 (412 Precondition Failed): kept, not overwritten",
                {{"day", date}, {"object", store.uri(key)}});
      continue;
    }
    if (!r.ok()) {
      ++report.days_failed;
      log::error("day export failed; the next run retries it",
                 {{"day", date},
                  {"reason", to_string(r.failure().reason)},
                  {"error", r.failure().message}});
      continue;
    }
    if (r.value().rows == 0) {
      log::warn(
          k_aws_empty_answer,
          {{"day", date},
           {"detail", "Kubecost returned no allocations for the day: skipped, nothing written"}});
      continue;
    }
    if (r.value().daily) {
      ++report.days_daily_fallback;
      fallback_days += (fallback_days.empty() ? "" : ",") + date;
    }
    // Only days written: a day without allocations has no rows the missing node facts touch.
    if (r.value().assets_failed) ++report.assets_failures;
    ++report.days_written;
    report.rows_written += r.value().rows;
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.6f", r.value().total_cost);
    log::info("day exported",
              {{"day", date},
               {"granularity", r.value().daily || !settings.day.hourly ? "daily" : "hourly"},
               {"rows", std::to_string(r.value().rows)},
               {"bytes", std::to_string(r.value().bytes)},
               {"total_cost", cost},
               {"object", store.uri(key)}});
    if (r.value().daily)
      log::info("day exported from the ETL's daily set: its hours were not whole",
                {{"day", date}, {"reason", r.value().fallback_reason}});
    if (r.value().etl_only_rows > 0 || r.value().hourly_only_names > 0)
      log::info("day reconciled: allocations on one side only",
                {{"day", date},
                 {"etl_only_daily_rows", std::to_string(r.value().etl_only_rows)},
                 {"hourly_only_allocations_reconciled_to_zero",
                  std::to_string(r.value().hourly_only_names)}});
  }
  if (!fallback_days.empty())
    log::warn(
        "days exported in daily granularity from Kubecost's ETL store: the On-Demand API "
        "(Prometheus) could not answer their hours whole; their rows span the whole day",
        {{"days", fallback_days}, {"count", std::to_string(report.days_daily_fallback)}});
  if (cancel.cancelled()) {
    log::error("s3-export stopped after the last day", {{"reason", cancel.reason()}});
    return finish(false);
  }
  log::info("s3-export done", {{"days_written", std::to_string(report.days_written)},
                               {"rows", std::to_string(report.rows_written)},
                               {"days_failed", std::to_string(report.days_failed)}});
  return finish(report.days_failed == 0);
}

}  // namespace kci

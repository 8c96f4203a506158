#include "exporter/s3export/day_export.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "exporter/s3export/allocation_spill.hpp"
#include "exporter/s3export/day_nodes.hpp"
#include "exporter/s3export/day_reconciliation.hpp"
#include "exporter/s3export/utc_day.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

// Removes the temporary file however export_day returns.
struct RemoveOnExit {
  std::string path;
  ~RemoveOnExit() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

std::string describe_window(double start, double end) {
  if (std::isnan(start) || std::isnan(end)) return "has no closed window";
  return "spans " + format_utc(static_cast<std::int64_t>(std::floor(start))) + ".." +
         format_utc(static_cast<std::int64_t>(std::floor(end)));
}

// Why `a` does not belong in the day's file, or "" when it does.
std::string misfit(const ParsedAllocation& a, std::int64_t day, bool hourly,
                   const std::string& cluster) {
  const auto day_start = static_cast<double>(day * k_day_seconds);
  const double day_end = day_start + k_day_seconds;
  const double s = a.window_start, e = a.window_end;
  const bool inside = !std::isnan(s) && !std::isnan(e) && s >= day_start && e <= day_end;
  // An hourly set starts on the hour: sets off the boundary would overlap or leave gaps.
  const bool shaped = hourly ? e - s == 3600 && std::fmod(s - day_start, 3600) == 0
                             : (s == day_start && e == day_end);
  if (!inside || !shaped)
    return "set " + std::to_string(a.set_index) + " " + describe_window(s, e) + ", want " +
           (hourly ? "1h sets inside " : "the single day set ") + format_day(day);
  if (!cluster.empty() && a.cluster != cluster)
    return "allocation \"" + std::string(a.name) + "\" is of cluster \"" + std::string(a.cluster) +
           "\", want only \"" + cluster + "\" (KUBECOST_CLUSTER_ID)";
  return {};
}

std::string too_many_names(bool& over_bound) {
  over_bound = true;
  return "the day has more than " + std::to_string(k_max_day_names) + " allocation names (or " +
         std::to_string(k_max_day_name_bytes) +
         " bytes of names), the bound on what an hourly day reconciles (GRANULARITY=daily "
         "exports it without)";
}

}  // namespace

DayExporter::DayExporter(DayExportSettings settings, KubecostApi& api, ObjectStore& store,
                         const Cancellation& cancel)
    : m_settings(std::move(settings)),
      m_columns(dataset_columns(m_settings.label_keys, m_settings.annotation_keys)),
      m_api(api),
      m_store(store),
      m_cancel(cancel) {}

Expected<DayOutcome> DayExporter::export_day(std::int64_t day, const std::string& key) {
  DayOutcome out;
  // 1. Node facts, joined on (cluster, node): a helper, not a dependency.
  auto nodes = m_api.node_facts(day);
  NodeFactsMap no_nodes;
  if (!nodes.ok()) {
    if (m_cancel.cancelled()) return Failure{FailureReason::cancelled, m_cancel.reason()};
    out.assets_failed = true;
    log::warn("Assets API failed: node columns only from the node labels on the allocations",
              {{"day", format_day(day)},
               {"reason", to_string(nodes.failure().reason)},
               {"error", nodes.failure().message}});
  }
  const NodeFactsMap& node_map = nodes.ok() ? nodes.value() : no_nodes;

  // 2. The day's rows, streamed into the Parquet writer.
  const std::string tmp = m_settings.work_dir + "/" + format_day(day) + "_" +
                          m_settings.cluster.name + ".parquet.part-" + std::to_string(::getpid());
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) return Failure{FailureReason::io, "cannot write " + tmp};
  RemoveOnExit cleanup{tmp};
  parquet::WriterOptions options;
  options.codec = m_settings.codec;
  options.work_dir = m_settings.work_dir;
  parquet::Writer writer(dataset_schema(m_columns), options, [&](std::string_view b) {
    return static_cast<bool>(file.write(b.data(), static_cast<std::streamsize>(b.size())));
  });
  DayNodes nodes_of(node_map, m_settings.label_keys.size());
  const auto write_row = [&](const ParsedAllocation& a) {
    write_dataset_row(writer, m_columns, DatasetRow{a, nodes_of.of(a), m_settings.cluster});
    ++out.rows;
    const double cost = a.get(AllocField::total_cost);
    if (!std::isnan(cost)) out.total_cost += cost;
  };
  auto written = m_settings.hourly ? write_hourly_day(day, tmp, write_row, out)
                                   : write_daily_day(day, write_row);
  if (!written.ok()) return written.failure();
  if (out.rows == 0) return out;  // reported and skipped by the caller, never written empty
  auto summary = writer.finish();
  file.close();
  if (!summary.ok()) return summary.failure();
  if (!file) return Failure{FailureReason::io, "writing " + tmp + " failed"};
  out.bytes = summary.value().bytes;

  // 3. Upload: one PUT for small files, multipart for large ones; never a partial object.
  auto put = upload_file(m_store, key, tmp, out.bytes, m_settings.upload, m_cancel);
  if (!put.ok()) return put.failure();
  return out;
}

Expected<void> DayExporter::write_daily_day(std::int64_t day, const AllocationVisitor& write_row) {
  std::string refused;
  auto listed = m_api.day_set(day, [&](const ParsedAllocation& a) {
    if (!refused.empty()) return;
    refused = misfit(a, day, false, m_settings.kubecost_cluster);
    if (refused.empty()) write_row(a);
  });
  if (!listed.ok())
    return Failure{listed.failure().reason, "allocation: " + listed.failure().message};
  if (!refused.empty()) return Failure{FailureReason::parse, "allocation: " + refused};
  return {};
}

Expected<void> DayExporter::write_hourly_day(std::int64_t day, const std::string& tmp,
                                             const AllocationVisitor& write_row, DayOutcome& out) {
  DayReconciliation reconciliation(day);
  // a. The ETL day: what a whole day is, and the reconciled figures. Kept on disk, not in memory.
  const std::string etl_path = tmp + ".etl";
  RemoveOnExit etl_cleanup{etl_path};
  AllocationSpillWriter etl_spill(etl_path);
  if (!etl_spill.ok()) return Failure{FailureReason::io, "cannot write " + etl_path};
  std::string refused;
  bool over_bound = false;  // refused for k_max_day_names, not for the answer's shape
  auto listed = m_api.day_set(day, [&](const ParsedAllocation& a) {
    if (!refused.empty()) return;
    refused = misfit(a, day, false, m_settings.kubecost_cluster);
    if (!refused.empty()) return;
    switch (reconciliation.add_etl(a)) {
      case AddResult::ok:
        break;
      case AddResult::too_many_names:
        refused = too_many_names(over_bound);
        return;
      case AddResult::repeated:
        refused = "allocation \"" + std::string(a.name) + "\" is in the ETL day set twice";
        return;
    }
    etl_spill.append(a);
  });
  if (!listed.ok())
    return Failure{listed.failure().reason, "allocation: " + listed.failure().message};
  if (!refused.empty())
    return Failure{over_bound ? FailureReason::too_large : FailureReason::parse,
                   "allocation: " + refused};
  if (auto closed = etl_spill.close(); !closed.ok()) return closed.failure();
  over_bound = false;
  if (etl_spill.records() == 0) return {};  // no data for the day: nothing is written

  // b. The On-Demand API's hours, checked against the ETL day before any row is written.
  const std::string hours_path = tmp + ".hours";
  RemoveOnExit hours_cleanup{hours_path};
  AllocationSpillWriter hours_spill(hours_path);
  if (!hours_spill.ok()) return Failure{FailureReason::io, "cannot write " + hours_path};
  listed = m_api.hourly_sets(day, [&](const ParsedAllocation& a) {
    if (!refused.empty()) return;
    refused = misfit(a, day, true, m_settings.kubecost_cluster);
    if (!refused.empty()) return;
    if (reconciliation.add_hourly(a) != AddResult::ok) {
      refused = too_many_names(over_bound);
      return;
    }
    hours_spill.append(a);
  });
  // A failed On-Demand request (a timeout, an error answer: on large clusters it can fail every
  // time, opencost/opencost#1841) does not lose the day: the ETL's rows are on disk.
  std::string on_demand_failed;
  if (!listed.ok()) {
    if (m_cancel.cancelled() || listed.failure().reason == FailureReason::cancelled)
      return Failure{FailureReason::cancelled, m_cancel.reason()};
    on_demand_failed = "the On-Demand API failed: " + listed.failure().message;
  } else if (!refused.empty() && over_bound) {
    on_demand_failed = "the On-Demand API's answer: " + refused;
  } else if (!refused.empty()) {
    return Failure{FailureReason::parse, "allocation: " + refused};
  } else if (auto closed = hours_spill.close(); !closed.ok()) {
    return closed.failure();
  }

  // c. Whole: the hourly rows (reconciled), plus the ETL's rows of what only the ETL has.
  //    Not whole: the ETL's daily rows.
  out.fallback_reason =
      on_demand_failed.empty() ? reconciliation.incomplete_reason() : on_demand_failed;
  if (!out.fallback_reason.empty()) {
    out.daily = true;
    return read_allocation_spill(etl_path, write_row);
  }
  if (!m_settings.reconcile_hourly) return read_allocation_spill(hours_path, write_row);
  out.hourly_only_names = reconciliation.hourly_only_names();
  auto hourly = read_allocation_spill(hours_path, [&](const ParsedAllocation& a) {
    ParsedAllocation reconciled = a;
    reconciled.values = reconciliation.adjusted(a);
    write_row(reconciled);
  });
  if (!hourly.ok()) return hourly;
  return read_allocation_spill(etl_path, [&](const ParsedAllocation& a) {
    if (reconciliation.in_hourly(a.name)) return;
    ++out.etl_only_rows;
    write_row(a);
  });
}

}  // namespace kci

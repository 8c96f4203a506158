#pragma once
// One cluster-day: the day's node facts, its allocations streamed row by row into a Parquet
// file in the work directory (memory stays flat however large the day), then the upload.
// Temporary files are removed on every path, success or failure.
//
// GRANULARITY=daily: the ETL store's day set (KubecostApi::day_set), as it is.
// GRANULARITY=hourly: a day is exported whole or not at all (day_reconciliation.hpp):
//  1. the ETL day set is read first (kept on disk): it says which hours have data, the day's
//     total and each allocation's reconciled figures; a day without it has no data;
//  2. the On-Demand API's hours are read (kept on disk) and checked against it;
//  3. whole: the hourly rows, with their `*CostAdjustment` and totalCost reconciled to the ETL
//     day (unless reconcile_hourly is off: then as the On-Demand API sent them), plus the ETL's
//     daily row of each allocation the hourly answer lacks; not whole (outside Prometheus'
//     retention, or cut short): the ETL's daily rows, and DayOutcome::daily says so.
//
// Every allocation is checked as it arrives, and the first that fails a check fails the day
// (no further row is written, nothing is uploaded):
//  - its set lies inside the day, and is 1 h long for the On-Demand hours or the whole day for
//    the ETL day: a Kubecost that answers another shape is named in the error, e.g. "set 3 spans
//    2026-11-27T00:00:00Z..2026-11-28T00:00:00Z, want 1h sets inside 2026-11-27";
//  - its properties.cluster is `kubecost_cluster` (when set): a day object never mixes clusters.
// The Assets API only adds the node columns: when it fails the day is exported with them
// empty, a warning is logged and DayOutcome::assets_failed is set.
#include <cstdint>
#include <string>
#include <vector>

#include "exporter/parquet/parquet_writer.hpp"
#include "exporter/s3export/dataset_columns.hpp"
#include "exporter/s3export/kubecost_api.hpp"
#include "exporter/s3export/object_store.hpp"
#include "exporter/s3export/upload.hpp"
#include "exporter/util/cancellation.hpp"

namespace kci {

struct DayExportSettings {
  DatasetCluster cluster;
  std::vector<std::string> label_keys, annotation_keys;  // as configured (LABELS, ANNOTATIONS)
  std::string kubecost_cluster;  // the only properties.cluster taken ("" = not checked)
  bool hourly = true;            // GRANULARITY=hourly: 1 h sets where whole; daily: the ETL day
  bool reconcile_hourly = true;  // RECONCILE_HOURLY: hourly rows carry the ETL's adjustments
  std::string work_dir = "/tmp";
  parquet::Codec codec = parquet::Codec::snappy;
  UploadPolicy upload;
};

struct DayOutcome {
  std::uint64_t rows = 0;      // 0: Kubecost had no allocation; nothing was written or uploaded
  std::uint64_t bytes = 0;     // the uploaded file's size
  double total_cost = 0;       // sum of the rows' totalcost (NULLs skipped), for the log
  bool assets_failed = false;  // node columns only from the node labels on the allocations
  // Hourly granularity only:
  bool daily = false;                   // exported from the ETL's daily set: the hours were not
  std::string fallback_reason;          //   whole, and why (one line)
  std::uint64_t etl_only_rows = 0;      // daily rows of allocations the hourly answer lacks
  std::uint64_t hourly_only_names = 0;  // hourly allocations the ETL lacks (reconciled to 0)
};

class DayExporter {
 public:
  // `api`, `store` and `cancel` must outlive the exporter.
  DayExporter(DayExportSettings settings, KubecostApi& api, ObjectStore& store,
              const Cancellation& cancel = Cancellation::never());

  // Exports `day` to `key`. Failures keep their reason; Kubecost's are prefixed "allocation: ". A
  // failed day leaves no object under `key` and no file in the work dir, also when `cancel` fires
  // (between the steps, or in a call the owner of `cancel` interrupts).
  Expected<DayOutcome> export_day(std::int64_t day, const std::string& key);

 private:
  Expected<void> write_daily_day(std::int64_t day, const AllocationVisitor& write_row);
  Expected<void> write_hourly_day(std::int64_t day, const std::string& tmp,
                                  const AllocationVisitor& write_row, DayOutcome& out);

  DayExportSettings m_settings;
  std::vector<DatasetColumn> m_columns;
  KubecostApi& m_api;
  ObjectStore& m_store;
  const Cancellation& m_cancel;
};

}  // namespace kci

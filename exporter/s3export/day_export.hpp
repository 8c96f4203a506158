#pragma once
// One cluster-day: the day's node facts, its allocations streamed row by row into a Parquet
// file in the work directory (memory stays flat however large the day), then the upload.
// The temporary file is removed on every path, success or failure.
//
// Every allocation is checked as it arrives, and the first that fails a check fails the day
// (no further row is written, nothing is uploaded):
//  - its set lies inside the day, and is 1 h long for an hourly export or the whole day for a
//    daily one: a Kubecost that answers another shape (the ETL API's whole-day sets for hourly
//    windows older than 49 h) is named in the error, e.g. "set 3 spans
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
  bool hourly = true;            // GRANULARITY=hourly: 1 h sets; daily: one set for the day
  std::string work_dir = "/tmp";
  parquet::Codec codec = parquet::Codec::snappy;
  UploadPolicy upload;
};

struct DayOutcome {
  std::uint64_t rows = 0;      // 0: Kubecost had no allocation; nothing was written or uploaded
  std::uint64_t bytes = 0;     // the uploaded file's size
  double total_cost = 0;       // sum of the rows' totalcost (NULLs skipped), for the log
  bool assets_failed = false;  // node columns only from the node labels on the allocations
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
  DayExportSettings m_settings;
  std::vector<DatasetColumn> m_columns;
  KubecostApi& m_api;
  ObjectStore& m_store;
  const Cancellation& m_cancel;
};

}  // namespace kci

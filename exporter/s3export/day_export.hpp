#pragma once
// One cluster-day: the day's node facts, its allocations streamed row by row into a Parquet
// file in the work directory (memory stays flat however large the day), then the upload.
// The temporary file is removed on every path, success or failure.
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
  std::string work_dir = "/tmp";
  parquet::Codec codec = parquet::Codec::snappy;
  UploadPolicy upload;
};

struct DayOutcome {
  std::uint64_t rows = 0;   // 0: Kubecost had no allocation; nothing was written or uploaded
  std::uint64_t bytes = 0;  // the uploaded file's size
  double total_cost = 0;    // sum of the rows' totalcost (NULLs skipped), for the log
};

class DayExporter {
 public:
  // `api`, `store` and `cancel` must outlive the exporter.
  DayExporter(DayExportSettings settings, KubecostApi& api, ObjectStore& store,
              const Cancellation& cancel = Cancellation::never());

  // Exports `day` to `key`. Failures keep their reason; Kubecost's are prefixed "assets: " or
  // "allocation: ". A failed day leaves no object under `key` and no file in the work dir, also
  // when `cancel` fires (between the steps, or in a call the owner of `cancel` interrupts).
  Expected<DayOutcome> export_day(std::int64_t day, const std::string& key);

 private:
  DayExportSettings m_settings;
  std::vector<DatasetColumn> m_columns;
  KubecostApi& m_api;
  ObjectStore& m_store;
  const Cancellation& m_cancel;
};

}  // namespace kci

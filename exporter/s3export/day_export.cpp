#include "exporter/s3export/day_export.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "exporter/s3export/utc_day.hpp"

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

}  // namespace

DayExporter::DayExporter(DayExportSettings settings, KubecostApi& api, ObjectStore& store,
                         const Cancellation& cancel)
    : m_settings(std::move(settings)),
      m_columns(dataset_columns(m_settings.label_keys, m_settings.annotation_keys)),
      m_api(api),
      m_store(store),
      m_cancel(cancel) {}

Expected<DayOutcome> DayExporter::export_day(std::int64_t day, const std::string& key) {
  // 1. Node facts, joined on (cluster, node).
  auto nodes = m_api.node_facts(day);
  if (!nodes.ok()) return Failure{nodes.failure().reason, "assets: " + nodes.failure().message};

  // 2. The day's allocations, streamed into the Parquet writer.
  const std::string tmp = m_settings.work_dir + "/" + format_day(day) + "_" +
                          m_settings.cluster.name + ".parquet.part-" + std::to_string(::getpid());
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) return Failure{FailureReason::io, "cannot write " + tmp};
  RemoveOnExit cleanup{tmp};
  parquet::WriterOptions options;
  options.codec = m_settings.codec;
  parquet::Writer writer(dataset_schema(m_columns), options, [&](std::string_view b) {
    return static_cast<bool>(file.write(b.data(), static_cast<std::streamsize>(b.size())));
  });
  DayOutcome out;
  const NodeFacts unknown_node;
  auto listed = m_api.allocations(day, [&](const ParsedAllocation& a) {
    auto it = nodes.value().find({std::string(a.cluster), std::string(a.node)});
    const NodeFacts& node = it == nodes.value().end() ? unknown_node : it->second;
    write_dataset_row(writer, m_columns, DatasetRow{a, node, m_settings.cluster});
    ++out.rows;
    const double cost = a.get(AllocField::total_cost);
    if (!std::isnan(cost)) out.total_cost += cost;
  });
  if (!listed.ok())
    return Failure{listed.failure().reason, "allocation: " + listed.failure().message};
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

}  // namespace kci

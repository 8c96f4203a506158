#pragma once
// A Parquet file writer, written to the Apache Parquet format specification
// (https://github.com/apache/parquet-format): flat schemas of nullable strings (BYTE_ARRAY,
// STRING logical type, dictionary-encoded), doubles and timestamps (INT64 TIMESTAMP:
// `timestamp_micros` is MICROS with isAdjustedToUTC=true; `local_timestamp_micros` and
// `local_timestamp_nanos` are MICROS / NANOS with isAdjustedToUTC=false, a naive wall-clock value
// that readers in any time zone show unchanged); data pages v1 with RLE definition
// levels; Snappy, zstd or no compression; min/max/null-count statistics per column chunk; row
// groups bounded by their buffered size so memory stays flat however many rows are written.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci::parquet {

enum class ColumnType {
  string,
  float64,
  timestamp_micros,
  local_timestamp_micros,
  local_timestamp_nanos
};
enum class Codec { uncompressed, snappy, zstd };

struct ColumnSpec {
  std::string name;
  ColumnType type;
};

struct WriterOptions {
  Codec codec = Codec::snappy;
  std::size_t row_group_bytes = 16u << 20;  // flush a row group once it holds this much memory
  int zstd_level = 3;
  std::string created_by = "kubecost-integration allocation-exporter";
};

// Receives the file's bytes in order. Returning false aborts the write.
using ByteSink = std::function<bool(std::string_view)>;

struct FileSummary {
  std::uint64_t rows = 0;
  std::uint64_t row_groups = 0;
  std::uint64_t bytes = 0;
};

class Writer {
 public:
  Writer(std::vector<ColumnSpec> schema, WriterOptions options, ByteSink sink);
  ~Writer();

  // One row: set each column (unset columns are NULL), then end_row().
  void set_string(std::size_t column, std::string_view value);
  void set_double(std::size_t column, double value);           // NaN is written as NULL
  void set_timestamp(std::size_t column, std::int64_t value);  // in the column's unit
  void end_row();

  // Flushes the last row group and writes the footer. The writer is done afterwards.
  Expected<FileSummary> finish();

 private:
  struct Column;
  bool flush_row_group();
  bool write(std::string_view bytes);
  std::string compress(std::string_view raw);

  std::vector<ColumnSpec> m_schema;
  WriterOptions m_options;
  ByteSink m_sink;
  std::vector<std::unique_ptr<Column>> m_columns;
  std::vector<std::string> m_row_group_meta;  // serialized RowGroup structs
  std::uint64_t m_offset = 0;
  std::uint64_t m_rows_in_group = 0;
  std::uint64_t m_total_rows = 0;
  std::size_t m_buffered = 0;
  bool m_failed = false;
  std::string m_error;
};

// Writes `values` (each < 2^bit_width) with the RLE / bit-packing hybrid encoding of
// apache/parquet-format Encodings.md ("Run Length Encoding / Bit-Packing Hybrid"), without the
// 4-byte length prefix: runs of 8 or more equal values as RLE runs, the rest as bit-packed groups
// of 8 (the last group padded with zero bits). Used for definition levels and dictionary indices;
// tests/unit/parquet decodes it with the spec's rules.
void rle_hybrid_encode(const std::vector<std::uint32_t>& values, int bit_width, std::string& out);

}  // namespace kci::parquet

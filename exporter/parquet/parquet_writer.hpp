#pragma once
// A Parquet file writer, written to the Apache Parquet format specification
// (https://github.com/apache/parquet-format): flat schemas of nullable strings (BYTE_ARRAY,
// STRING logical type, dictionary-encoded), doubles and timestamps (INT64 TIMESTAMP:
// `timestamp_micros` is MICROS with isAdjustedToUTC=true; `local_timestamp_micros` and
// `local_timestamp_nanos` are MICROS / NANOS with isAdjustedToUTC=false, a naive wall-clock value
// that readers in any time zone show unchanged); data pages v1 with RLE definition
// levels; Snappy, zstd or no compression; min/max/null-count statistics per column chunk.
//
// Row groups are large (DuckDB's 122 880 rows) while memory stays flat: each column buffers one
// page; a full page is encoded, compressed and appended to a nameless spill file in the work
// directory (page_spill.hpp), and at the end of the row group each column chunk (its dictionary
// page from memory, then its data pages from the spill) is copied to the sink in column order.
// A string column's dictionary is bounded: past its limit the column's remaining pages in the row
// group are PLAIN, as parquet-mr and Arrow fall back. Any failure (the spill's disk full, the sink
// refusing bytes) fails finish(); the footer is then never written, so no file passes as whole.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/parquet/page_spill.hpp"
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
  std::uint64_t row_group_rows = 122'880;  // DuckDB's row group size
  // A column's page is encoded and spilled once its buffered values take this much memory
  // (one byte per definition level, four per dictionary index, the PLAIN values): pages much
  // smaller lose zstd the repeats DuckDB's pages find (tests/bench/parquet_vs_duckdb.sh).
  std::size_t page_bytes = 192u << 10;
  // Memory one string column's dictionary may take in a row group (values and hash-table nodes),
  // and all of them together; past either, the column falls back to PLAIN for the row group.
  std::size_t dictionary_bytes = 4u << 20;
  std::size_t dictionaries_bytes = 24u << 20;
  // Where the page spill file lives (it never has a name there; see page_spill.hpp).
  std::string work_dir = "/tmp";
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

  // Flushes the last row group and writes the footer. The writer is done afterwards, and its
  // spill file is gone whatever the outcome (as it is when the writer is destroyed unfinished).
  Expected<FileSummary> finish();

 private:
  struct Column;
  bool flush_page(Column& c);
  bool flush_row_group();
  bool write(std::string_view bytes);
  std::string compress(std::string_view raw);
  void fail(std::string error);

  std::vector<ColumnSpec> m_schema;
  WriterOptions m_options;
  ByteSink m_sink;
  std::vector<std::unique_ptr<Column>> m_columns;
  PageSpill m_spill;
  std::vector<std::uint32_t> m_levels;  // flush_page's scratch: a page's definition levels
  std::size_t m_dictionaries = 0;       // memory of every column's dictionary in this row group
  std::vector<std::string> m_row_group_meta;  // serialized RowGroup structs
  std::uint64_t m_offset = 0;
  std::uint64_t m_rows_in_group = 0;
  std::uint64_t m_total_rows = 0;
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

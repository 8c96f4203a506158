#pragma once
// A day's allocations kept on disk, not in memory, while s3-export decides what the day's file
// holds (day_export.hpp): each allocation as one length-prefixed binary record of what the
// dataset columns read (the numbers, both windows, the properties, the label and annotation
// values), read back in the order written. The records go through one zstd stream (level 1:
// names, labels and NaNs repeat, so a day takes several times less of the work directory than
// raw), buffered in 256 KiB pieces each way: memory stays a few hundred KiB whatever the day's
// size. The file is the exporter's own, in the work directory; the reader still checks every
// length against the record, so a damaged file fails with FailureReason::io instead of reading
// out of bounds.
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class AllocationSpillWriter {
 public:
  // Creates (truncates) `path`; ok() says whether it could.
  explicit AllocationSpillWriter(const std::string& path);
  ~AllocationSpillWriter();
  AllocationSpillWriter(const AllocationSpillWriter&) = delete;
  AllocationSpillWriter& operator=(const AllocationSpillWriter&) = delete;
  bool ok() const { return static_cast<bool>(m_file) && m_stream != nullptr; }
  void append(const ParsedAllocation& allocation);
  // Ends the stream, flushes and closes; fails when any write failed (a full disk).
  Expected<void> close();
  std::uint64_t records() const { return m_records; }
  std::uint64_t bytes_in() const { return m_bytes_in; }  // before compression

 private:
  void compress(const char* data, std::size_t size, bool end);

  std::string m_path;
  std::ofstream m_file;
  struct Stream;
  std::unique_ptr<Stream> m_stream;
  std::string m_record;  // reused between appends
  std::string m_out;     // compressed bytes on their way to the file
  bool m_failed = false;
  std::uint64_t m_records = 0, m_bytes_in = 0;
};

// Hands every record of `path` to `visit` as a ParsedAllocation whose views and label/annotation
// vectors are valid during the call only.
Expected<void> read_allocation_spill(const std::string& path, const AllocationVisitor& visit);

}  // namespace kci

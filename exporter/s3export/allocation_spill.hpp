#pragma once
// A day's allocations kept on disk, not in memory, while s3-export decides what the day's file
// holds (day_export.hpp): each allocation as one length-prefixed binary record of what the
// dataset columns read (the numbers, both windows, the properties, the label and annotation
// values), read back in the order written. The file is the exporter's own, in the work
// directory; the reader still checks every length against the record, so a damaged file fails
// with FailureReason::io instead of reading out of bounds.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class AllocationSpillWriter {
 public:
  // Creates (truncates) `path`; ok() says whether it could.
  explicit AllocationSpillWriter(const std::string& path);
  bool ok() const { return static_cast<bool>(m_file); }
  void append(const ParsedAllocation& allocation);
  // Flushes and closes; fails when any write failed (a full disk).
  Expected<void> close();
  std::uint64_t records() const { return m_records; }

 private:
  std::string m_path;
  std::ofstream m_file;
  std::string m_record;  // reused between appends
  std::uint64_t m_records = 0;
};

// Hands every record of `path` to `visit` as a ParsedAllocation whose views and label/annotation
// vectors are valid during the call only.
Expected<void> read_allocation_spill(const std::string& path, const AllocationVisitor& visit);

}  // namespace kci

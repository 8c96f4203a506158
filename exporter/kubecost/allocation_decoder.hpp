#pragma once
// Decodes ONE allocation object (the value of "<name>": {...} in an Allocation API set) straight
// from a JsonWindow's structural indexes into a ParsedAllocation: the fields the exporter reads
// are converted, every other value is checked as JSON and skipped (json_cursor.hpp), and no DOM
// is built. The stream (allocation_stream.hpp) hands each allocation here.
#include <simdjson.h>

#include <array>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/json_cursor.hpp"
#include "exporter/kubecost/json_window.hpp"

namespace kci {

struct DecoderKeySlot;  // allocation_decoder.cpp: a known key, as its table holds it

class AllocationDecoder {
 public:
  explicit AllocationDecoder(const ParseOptions& options);

  // Decodes the object at structural `i` of `window` into `out` and moves `i` past it; any
  // malformed byte in it is an error (simdjson's code). `out`'s views stay valid until the window
  // moves on and until the next decode(). `set_index` ties it to its set. A value that runs past
  // the window's real bytes may decode or fail: the caller checks where `i` ended.
  simdjson::error_code decode(std::string_view name, const JsonWindow& window, std::uint32_t& i,
                              std::size_t set_index, ParsedAllocation& out);

 private:
  // Every allocation of a set repeats the set's window, and most repeat its bounds as their own
  // `start`/`end`: a time is parsed only when its text differs from the last one seen there.
  struct LastTime {
    std::string text;
    double value = NAN;
    bool seen = false;
    double of(std::string_view s);
  };
  simdjson::error_code read_properties(std::uint32_t& i, ParsedAllocation& a);
  simdjson::error_code read_window(std::uint32_t& i, ParsedAllocation& a);
  simdjson::error_code read_labels(std::uint32_t& i, const std::vector<std::string>& wanted,
                                   std::vector<std::string_view>& out);
  simdjson::error_code read_string(std::uint32_t& i, std::size_t depth, std::string_view& out);
  simdjson::error_code read_time(std::uint32_t& i, LastTime& last, double& out);

  const ParseOptions& m_options;
  JsonCursor m_cursor;
  std::vector<std::string_view> m_label_values, m_ns_label_values;
  std::vector<std::string_view> m_annotation_values, m_ns_annotation_values;
  // Per AllocField: read as a number (serve mode's fields and the adjustments; every field with
  // all_properties), else skipped.
  std::array<bool, k_alloc_field_count> m_read_number;
  // The key table's slot of each key of the last allocation, by position (the first 64 keys).
  std::array<const DecoderKeySlot*, 64> m_key_order{};
  LastTime m_window_start, m_window_end, m_data_start, m_data_end;
};

}  // namespace kci

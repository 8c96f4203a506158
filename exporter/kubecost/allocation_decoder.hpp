#pragma once
// Decodes ONE allocation object (the value of "<name>": {...} in an Allocation API set) into a
// ParsedAllocation, with simdjson's DOM API, whose SIMD kernel is chosen at run time for the
// CPU. The stream (allocation_stream.hpp) frames the answer and hands each allocation's bytes
// here; nothing of the answer beyond one allocation is ever parsed at once.
#include <simdjson.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"

namespace kci {

class AllocationDecoder {
 public:
  // `max_bytes` is the largest allocation the DOM parser must hold.
  AllocationDecoder(const ParseOptions& options, std::size_t max_bytes);

  // Decodes `json` (an object; `json` must have k_body_padding readable bytes after its end)
  // into `out`, whose views stay valid until the next decode(). `set_index` and the window
  // cache tie it to its set. Returns a JSON error code (SUCCESS when decoded).
  simdjson::error_code decode(std::string_view name, std::string_view json, std::size_t set_index,
                              ParsedAllocation& out);

 private:
  simdjson::error_code read_properties(simdjson::dom::element v, ParsedAllocation& a);
  void read_window(simdjson::dom::element v, ParsedAllocation& a);

  const ParseOptions& m_options;
  simdjson::dom::parser m_parser;
  std::vector<std::string_view> m_label_values, m_ns_label_values;
  std::vector<std::string_view> m_annotation_values, m_ns_annotation_values;
  int m_field_limit;
  // Every allocation of a set repeats the set's window, and most repeat its bounds as their own
  // `start`/`end`: a time is parsed only when its text differs from the last one seen there.
  struct LastTime {
    std::string text;
    double value = NAN;
    bool seen = false;
    double of(std::string_view s);
  };
  LastTime m_window_start, m_window_end, m_data_start, m_data_end;
};

}  // namespace kci

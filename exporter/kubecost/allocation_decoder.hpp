#pragma once
// Decodes ONE allocation object (the value of "<name>": {...} in an Allocation API set), already
// parsed by simdjson into a DOM element, into a ParsedAllocation: the fields the exporter reads,
// every other key skipped. The stream (allocation_stream.hpp) hands each allocation here.
#include <simdjson.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"

namespace kci {

class AllocationDecoder {
 public:
  explicit AllocationDecoder(const ParseOptions& options);

  // Decodes `object` (a JSON object) into `out`, whose views stay valid while the element's
  // document does and until the next decode(). `set_index` ties it to its set.
  void decode(std::string_view name, simdjson::dom::element object, std::size_t set_index,
              ParsedAllocation& out);

 private:
  void read_properties(simdjson::dom::element v, ParsedAllocation& a);
  void read_window(simdjson::dom::element v, ParsedAllocation& a);

  const ParseOptions& m_options;
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

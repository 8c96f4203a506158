#pragma once
// What an Allocation API answer (Kubecost 1.x/2.x and OpenCost) is read into. The parser
// tolerates what published answers show: `null` numbers (OpenCost writes NaN and Inf as null,
// core/pkg/opencost/allocation_json.go), `data:[null]` (kubecost/kubecost#3758), a missing
// `status` (the sample on https://docs.kubecost.com/apis/monitoring-apis/api-allocation;
// OpenCost core/pkg/protocol/http.go), unknown keys, an object instead of an array of sets,
// text/HTML error bodies (OpenCost pkg/costmodel/aggregation.go answers a bad `window` with
// text; a proxy in front answers a timeout with an nginx page, opencost/opencost#1841) and an
// empty 200 body (OpenCost pkg/costmodel/router.go, WrapData, when marshalling fails).
// tests/fixtures/kubecost/README.md names the published answer behind each test body. The
// visitor receives views into the parser's buffers.
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci {

// The numeric allocation fields we read. NaN means `null` or missing: never 0.
enum class AllocField : int {
  minutes,
  cpu_cost,
  gpu_cost,
  ram_cost,
  pv_cost,
  network_cost,
  load_balancer_cost,
  shared_cost,
  external_cost,
  total_cost,
  cpu_efficiency,
  ram_efficiency,
  total_efficiency,
  cpu_core_request_average,
  cpu_core_usage_average,
  ram_byte_request_average,
  ram_byte_usage_average,
  // Further fields of the S3 dataset (s3-export).
  cpu_cores,
  cpu_core_hours,
  cpu_cost_adjustment,
  gpu_count,
  gpu_hours,
  gpu_cost_adjustment,
  network_transfer_bytes,
  network_receive_bytes,
  network_cross_zone_cost,
  network_cross_region_cost,
  network_internet_cost,
  network_cost_adjustment,
  load_balancer_cost_adjustment,
  pv_bytes,
  pv_byte_hours,
  pv_cost_adjustment,
  ram_bytes,
  ram_byte_hours,
  ram_cost_adjustment,
  count
};
inline constexpr std::size_t k_alloc_field_count = static_cast<std::size_t>(AllocField::count);

// The JSON key of each AllocField, in enum order.
const std::array<std::string_view, k_alloc_field_count>& alloc_field_keys();

struct ParsedAllocation {
  std::string_view name;
  std::string_view namespace_name;  // properties.namespace ("" when absent)
  std::string_view pod;             // properties.pod ("" when absent)
  std::string_view cluster;         // properties.cluster ("" when absent)
  // More properties, read only with ParseOptions::all_properties.
  std::string_view node, container, controller, controller_kind, provider_id;
  // One entry per ParseOptions::annotation_keys (properties.annotations).
  const std::vector<std::string_view>* annotation_values = nullptr;
  std::array<double, k_alloc_field_count> values;
  // One entry per ParseOptions::label_keys: properties.labels, else namespaceLabels; "" if none.
  const std::vector<std::string_view>* label_values = nullptr;
  // One entry per ParseOptions::label_keys: properties.namespaceLabels only; "" if none.
  const std::vector<std::string_view>* namespace_label_values = nullptr;
  double window_start = NAN;  // Unix seconds of the set window; NaN when absent or open
  double window_end = NAN;
  // Unix seconds of the allocation's own `start`/`end`: the interval its data covers inside
  // the set window ("Allocation schema" on
  // https://docs.kubecost.com/apis/monitoring-apis/api-allocation); NaN when absent.
  double data_start = NAN;
  double data_end = NAN;
  std::size_t set_index = 0;

  double get(AllocField f) const { return values[static_cast<std::size_t>(f)]; }
};

struct ParseOptions {
  // Prometheus-sanitised label keys to pick from properties.labels / namespaceLabels.
  std::vector<std::string> label_keys;
  // Prometheus-sanitised annotation keys to pick from properties.annotations.
  std::vector<std::string> annotation_keys;
  bool all_properties = false;
};

struct ParseSummary {
  std::size_t sets = 0;         // non-null sets
  std::size_t allocations = 0;  // allocations handed to the visitor
};

using AllocationVisitor = std::function<void(const ParsedAllocation&)>;

// A whole answer at once (see AllocationStream for chunks as they arrive, and for the
// failures). The visitor's views are valid during the call that hands them over.
Expected<ParseSummary> parse_allocations(std::string_view body, const ParseOptions& options,
                                         const AllocationVisitor& visit);

}  // namespace kci

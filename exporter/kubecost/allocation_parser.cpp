#include "exporter/kubecost/allocation_parser.hpp"

#include "exporter/kubecost/allocation_stream.hpp"

namespace kci {

const std::array<std::string_view, k_alloc_field_count>& alloc_field_keys() {
  static const std::array<std::string_view, k_alloc_field_count> keys = {
      "minutes",
      "cpuCost",
      "gpuCost",
      "ramCost",
      "pvCost",
      "networkCost",
      "loadBalancerCost",
      "sharedCost",
      "externalCost",
      "totalCost",
      "cpuEfficiency",
      "ramEfficiency",
      "totalEfficiency",
      "cpuCoreRequestAverage",
      "cpuCoreUsageAverage",
      "ramByteRequestAverage",
      "ramByteUsageAverage",
      "cpuCores",
      "cpuCoreHours",
      "cpuCostAdjustment",
      "gpuCount",
      "gpuHours",
      "gpuCostAdjustment",
      "networkTransferBytes",
      "networkReceiveBytes",
      "networkCrossZoneCost",
      "networkCrossRegionCost",
      "networkInternetCost",
      "networkCostAdjustment",
      "loadBalancerCostAdjustment",
      "pvBytes",
      "pvByteHours",
      "pvCostAdjustment",
      "ramBytes",
      "ramByteHours",
      "ramCostAdjustment"};
  return keys;
}

Expected<ParseSummary> parse_allocations(std::string_view body, const ParseOptions& options,
                                         const AllocationVisitor& visit) {
  AllocationStream stream(options, visit);
  if (auto fed = stream.feed(body); !fed.ok()) return fed.failure();
  return stream.finish();
}

}  // namespace kci

#pragma once
// The accumulators a snapshot is made of: the cost families, and one row (a namespace, a pod or
// a namespace's `__other__` remainder) with sums that merge associatively.
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"

namespace kci {

enum class CostFamily : int { total, cpu, ram, gpu, pv, network, lb, shared, external, count };
inline constexpr std::size_t k_cost_family_count = static_cast<std::size_t>(CostFamily::count);
enum class Efficiency : int { cpu, ram, total, count };
inline constexpr std::size_t k_efficiency_count = static_cast<std::size_t>(Efficiency::count);
enum class Average : int { cpu_request, cpu_usage, ram_request, ram_usage, count };
inline constexpr std::size_t k_average_count = static_cast<std::size_t>(Average::count);

// Sums that merge associatively, so a namespace is the merge of its pods and the cluster the
// merge of its namespaces and idle.
struct CostAccumulator {
  std::array<double, k_cost_family_count> cost{};
  std::array<bool, k_cost_family_count> has_cost{};
  // Cost-weighted efficiency: sum(eff * weight), sum(weight); plain sum and count as the
  // fallback when every weight is zero.
  std::array<double, k_efficiency_count> eff_weighted{}, eff_weight{}, eff_plain{};
  std::array<int, k_efficiency_count> eff_n{};
  // Averages as unit-minutes (cores x minutes, bytes x minutes); divided by window minutes.
  std::array<double, k_average_count> unit_minutes{};
  std::array<bool, k_average_count> has_average{};

  // Adds each cost and its adjustment (cpuCost + cpuCostAdjustment, ...; OpenCost
  // core/pkg/opencost/allocation.go TotalCost adds the same pairs).
  void add(const ParsedAllocation& a);
  void merge(const CostAccumulator& other);
  // NaN when absent.
  double cost_of(CostFamily f) const;
  double efficiency(Efficiency e) const;
  double average(Average a, double window_minutes) const;
};

struct CostRow {
  std::string cluster;  // clusterName, or properties.cluster with multiCluster
  std::string namespace_name;
  std::string pod;                  // empty for namespace rows
  std::vector<std::string> labels;  // one per configured label key; "" when unknown
  CostAccumulator acc;
};

}  // namespace kci

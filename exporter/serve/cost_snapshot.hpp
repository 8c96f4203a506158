#pragma once
// Folds parsed allocations into an immutable per-poll snapshot: namespaces, the cluster, idle,
// and (with pod metrics) the top-N pods plus one `__other__` remainder per namespace.
// Invariants, per cost family and per cluster: sum(namespaces) + idle == cluster, and
// sum(top pods of ns) + __other__(ns) == ns. `null` numbers are absent, never 0. Each resource
// family includes its `*CostAdjustment`, so cpu+ram+gpu+pv+network+lb+shared+external == total.
// Without multiCluster there is one cluster, named clusterName; with it, rows are keyed by
// (cluster, namespace[, pod]) and the cluster is properties.cluster.
#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/config/config.hpp"
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

struct ClusterTotals {
  std::string name;
  CostAccumulator total;  // namespaces + idle of this cluster
  CostAccumulator idle;
};

struct CostSnapshot {
  std::vector<CostRow> namespaces;  // sorted by (cluster, namespace)
  // top-N pods and __other__ rows, sorted by (cluster, namespace, pod)
  std::vector<CostRow> pods;
  CostAccumulator cluster;              // every cluster's total
  CostAccumulator idle;                 // every cluster's idle
  std::vector<ClusterTotals> clusters;  // sorted by name; one without multiCluster
  bool pods_enabled = false;
  // Span the data covers: what rate mode divides by. Per set, from its allocations' own
  // `start`/`end` (the data may lag the wall clock), else the set window clamped to now.
  double window_hours = 0;
  std::size_t allocations = 0;
};

// What every cost is divided by: the hours the snapshot's data covers in rate mode (1 in total
// mode, or when the span is unknown). The single definition of the rate divisor.
double rate_divisor(const CostSnapshot& snapshot, const Config& config);

class SnapshotBuilder {
 public:
  // `now` (Unix seconds) clamps a window that ends in the future, e.g. `1h` rounded forward.
  SnapshotBuilder(const Config& config, double now);
  void add(const ParsedAllocation& a);
  // Optional: the expected number of allocations, to size the pod index once.
  void reserve(std::size_t allocations);
  CostSnapshot finish() &&;

 private:
  CostRow& namespace_row(std::string_view cluster, std::string_view ns, const ParsedAllocation& a);
  ClusterTotals& cluster_totals(std::string_view cluster);

  const Config& m_config;
  double m_now;
  CostSnapshot m_snap;
  std::unordered_map<std::string, std::size_t> m_ns_index;
  std::unordered_map<std::string, std::size_t> m_pod_index;
  std::vector<CostRow> m_all_pods;
  std::vector<std::vector<bool>> m_label_conflict;
  std::vector<std::pair<double, double>> m_set_windows;  // per set index
  std::vector<std::pair<double, double>> m_set_data;     // allocations' start/end, per set
  std::unordered_map<std::string, std::size_t> m_cluster_index;
  std::string m_key;                                     // scratch, reused
  std::size_t m_last_ns = static_cast<std::size_t>(-1);  // index of the last namespace seen
};

}  // namespace kci

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

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/serve/cost_row.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/top_pods.hpp"

namespace kci {

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

// An allocation's cluster and its name below the cluster. With multiCluster the name starts
// with the cluster (`aggregate=cluster,namespace[,pod]`, `<cluster>/__idle__` with splitIdle): the
// cluster is properties.cluster, else that first component, and the key what follows it ("" when
// nothing does). Without it: clusterName and the whole name.
struct ClusterKey {
  std::string_view cluster;
  std::string_view key;
};
ClusterKey cluster_key(const ParsedAllocation& a, const CostSeriesOptions& options);

// What every cost is divided by: the hours the snapshot's data covers in rate mode (1 in total
// mode, or when the span is unknown). The single definition of the rate divisor.
double rate_divisor(const CostSnapshot& snapshot, const CostSeriesOptions& options);

class SnapshotBuilder {
 public:
  // `now` (Unix seconds) clamps a window that ends in the future, e.g. `1h` rounded forward.
  // `options` must outlive the builder.
  SnapshotBuilder(const CostSeriesOptions& options, double now);
  void add(const ParsedAllocation& a);
  // Namespace rows holding at least one cost so far: each gives at least one series, so this is
  // a lower bound of the series the snapshot will publish (maxSeries is checked on it as the
  // answer arrives).
  std::size_t rows_with_cost() const { return m_rows_with_cost; }
  CostSnapshot finish() &&;

 private:
  CostRow& namespace_row(std::string_view cluster, std::string_view ns, const ParsedAllocation& a);
  ClusterTotals& cluster_totals(std::string_view cluster);

  const CostSeriesOptions& m_options;
  double m_now;
  CostSnapshot m_snap;
  std::unordered_map<std::string, std::size_t> m_ns_index;
  TopPods m_top_pods;
  std::vector<std::vector<bool>> m_label_conflict;
  std::vector<std::pair<double, double>> m_set_windows;  // per set index
  std::vector<std::pair<double, double>> m_set_data;     // allocations' start/end, per set
  std::unordered_map<std::string, std::size_t> m_cluster_index;
  std::string m_key;                                     // scratch, reused
  std::size_t m_last_ns = static_cast<std::size_t>(-1);  // index of the last namespace seen
  std::size_t m_rows_with_cost = 0;
};

}  // namespace kci

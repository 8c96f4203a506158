#pragma once
// Folds parsed allocations into an immutable per-poll snapshot: namespaces, the cluster, idle,
// and (with pod metrics) the top-N pods plus one `__other__` remainder per namespace.
// Invariants, per cost family and per cluster: sum(namespaces) + idle == cluster, and
// sum(top pods of ns) + __other__(ns) == ns. `null` numbers are absent, never 0. Each resource
// family includes its `*CostAdjustment`, so cpu+ram+gpu+pv+network+lb+shared+external == total.
// Without multiCluster there is one cluster, named clusterName; with it, rows are keyed by
// (cluster, namespace[, pod]) and the cluster is properties.cluster.
//
// Spans (what rate mode divides by, and the averages' minutes): without multiCluster one, the
// span the whole answer covers. With it, each cluster its own: the span its own allocations
// cover (a federated cluster whose data lags is divided by its hours, not by the others').
// Unsplit idle (multiCluster only): an idle allocation the answer did not split by cluster,
// named `__idle__` with no `<cluster>/` before it and no properties.cluster (a server that
// ignores splitIdle=true and merged several clusters' idle: OpenCost, older Kubecost), or whose
// cluster is empty, belongs to no cluster: it is kept out of
// every cluster's idle and total (no cluster is invented for it) and only counted, with its
// window total, in unsplit_idle_dropped / unsplit_idle_cost (the poller logs and counts them).
// Splitting it by the clusters' shares would publish a guess as Kubecost's figure.
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
  // Hours this cluster's data covers. With multiCluster, from its own allocations as
  // CostSnapshot::window_hours is from all of them, over the sets it has allocations in (else,
  // when they carry no span, CostSnapshot::window_hours); without it, window_hours itself.
  double window_hours = 0;
};

struct CostSnapshot {
  std::vector<CostRow> namespaces;  // sorted by (cluster, namespace)
  // top-N pods and __other__ rows, sorted by (cluster, namespace, pod)
  std::vector<CostRow> pods;
  CostAccumulator cluster;              // every cluster's total
  CostAccumulator idle;                 // every cluster's idle
  std::vector<ClusterTotals> clusters;  // sorted by name; one without multiCluster
  bool pods_enabled = false;
  // Span the whole answer's data covers (every cluster's together): per set, from its
  // allocations' own `start`/`end` (the data may lag the wall clock), else the set window clamped
  // to now; the sum over sets; else the configured window's length. Rows divide by their
  // cluster's (ClusterTotals::window_hours), which is this one without multiCluster.
  double window_hours = 0;
  std::size_t allocations = 0;
  // multiCluster: unsplit idle allocations left out of every cluster, and their total cost
  // (window total, the answer's currency).
  std::size_t unsplit_idle_dropped = 0;
  double unsplit_idle_cost = 0;
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

// The hours the data of `cluster` covers in a finished snapshot: its ClusterTotals::window_hours,
// or the snapshot's window_hours for a cluster it has no totals of (a label answer's own).
double window_hours_of(const CostSnapshot& snapshot, std::string_view cluster);

// What every cost of a row is divided by, given the hours its cluster's data covers
// (window_hours_of): those hours in rate mode; 1 in total mode, or when the span is unknown.
// The single definition of the rate divisor.
double rate_divisor(double window_hours, const CostSeriesOptions& options);

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
  // What one set's allocations say of their span: the set window and their own start/end.
  struct SetSpan {
    std::size_t set_index = 0;
    std::pair<double, double> window{NAN, NAN}, data{NAN, NAN};
  };

  CostRow& namespace_row(std::string_view cluster, std::string_view ns, const ParsedAllocation& a);
  std::size_t cluster_totals(std::string_view cluster);  // its index in m_snap.clusters
  static void add_span(SetSpan& span, const ParsedAllocation& a);
  // The one definition of a span: the hours `sets` cover, each set by its allocations' own
  // start/end, else its window clamped to `now`, summed; NaN when a set has neither or no set.
  static double covered_hours(const std::vector<SetSpan>& sets, double now);

  const CostSeriesOptions& m_options;
  double m_now;
  CostSnapshot m_snap;
  std::unordered_map<std::string, std::size_t> m_ns_index;
  TopPods m_top_pods;
  std::vector<std::vector<bool>> m_label_conflict;
  std::vector<SetSpan> m_sets;  // indexed by set index: a set without allocations is unknown
  // multiCluster: per cluster (by m_cluster_index), the sets it has allocations in, in order.
  std::vector<std::vector<SetSpan>> m_cluster_sets;
  std::unordered_map<std::string, std::size_t> m_cluster_index;
  std::string m_key;                                     // scratch, reused
  std::size_t m_last_ns = static_cast<std::size_t>(-1);  // index of the last namespace seen
  std::size_t m_rows_with_cost = 0;
};

}  // namespace kci

#include "exporter/serve/cost_snapshot.hpp"

#include <algorithm>
#include <numeric>

namespace kci {
namespace {

constexpr std::array<AllocField, k_cost_family_count> k_cost_fields = {
    AllocField::total_cost,         AllocField::cpu_cost,    AllocField::ram_cost,
    AllocField::gpu_cost,           AllocField::pv_cost,     AllocField::network_cost,
    AllocField::load_balancer_cost, AllocField::shared_cost, AllocField::external_cost};

constexpr std::array<AllocField, k_average_count> k_average_fields = {
    AllocField::cpu_core_request_average, AllocField::cpu_core_usage_average,
    AllocField::ram_byte_request_average, AllocField::ram_byte_usage_average};

double or_zero(double v) { return std::isnan(v) ? 0.0 : v; }

bool is_idle(std::string_view name) { return name.ends_with("__idle__"); }

// The adjustment that belongs to each cost family (none for total, shared, external).
constexpr std::array<AllocField, k_cost_family_count> k_adjustment_fields = {
    AllocField::count,
    AllocField::cpu_cost_adjustment,
    AllocField::ram_cost_adjustment,
    AllocField::gpu_cost_adjustment,
    AllocField::pv_cost_adjustment,
    AllocField::network_cost_adjustment,
    AllocField::load_balancer_cost_adjustment,
    AllocField::count,
    AllocField::count};

void widen(std::pair<double, double>& span, double start, double end) {
  if (!std::isnan(start) && (std::isnan(span.first) || start < span.first)) span.first = start;
  if (!std::isnan(end) && (std::isnan(span.second) || end > span.second)) span.second = end;
}

// multiCluster: idle the answer did not split by cluster (see the header): no cluster in its
// name nor in its properties. One merged over a single cluster keeps properties.cluster (a
// merge intersects properties: opencost core/pkg/opencost/allocationprops.go Intersection) and
// is that cluster's.
bool is_unsplit_idle(const ParsedAllocation& a, std::string_view cluster,
                     const CostSeriesOptions& options) {
  return options.multi_cluster && is_idle(a.name) &&
         (cluster.empty() || (a.cluster.empty() && a.name.find('/') == std::string_view::npos));
}

}  // namespace

void CostAccumulator::add(const ParsedAllocation& a) {
  for (std::size_t i = 0; i < k_cost_family_count; ++i) {
    double v = a.get(k_cost_fields[i]);
    if (k_adjustment_fields[i] != AllocField::count) {
      const double adj = a.get(k_adjustment_fields[i]);
      if (!std::isnan(adj)) v = or_zero(v) + adj;
    }
    if (std::isnan(v)) continue;
    cost[i] += v;
    has_cost[i] = true;
  }
  const double cpu = or_zero(a.get(AllocField::cpu_cost));
  const double ram = or_zero(a.get(AllocField::ram_cost));
  const std::array<std::pair<AllocField, double>, k_efficiency_count> eff = {
      {{AllocField::cpu_efficiency, cpu},
       {AllocField::ram_efficiency, ram},
       {AllocField::total_efficiency, cpu + ram}}};
  for (std::size_t i = 0; i < k_efficiency_count; ++i) {
    double e = a.get(eff[i].first);
    if (std::isnan(e) || std::isinf(e)) continue;  // null efficiency: absent, never 0
    eff_weighted[i] += e * eff[i].second;
    eff_weight[i] += eff[i].second;
    eff_plain[i] += e;
    ++eff_n[i];
  }
  const double minutes = a.get(AllocField::minutes);
  for (std::size_t i = 0; i < k_average_count; ++i) {
    double v = a.get(k_average_fields[i]);
    if (std::isnan(v) || std::isnan(minutes)) continue;
    unit_minutes[i] += v * minutes;
    has_average[i] = true;
  }
}

void CostAccumulator::merge(const CostAccumulator& o) {
  for (std::size_t i = 0; i < k_cost_family_count; ++i) {
    cost[i] += o.cost[i];
    has_cost[i] = has_cost[i] || o.has_cost[i];
  }
  for (std::size_t i = 0; i < k_efficiency_count; ++i) {
    eff_weighted[i] += o.eff_weighted[i];
    eff_weight[i] += o.eff_weight[i];
    eff_plain[i] += o.eff_plain[i];
    eff_n[i] += o.eff_n[i];
  }
  for (std::size_t i = 0; i < k_average_count; ++i) {
    unit_minutes[i] += o.unit_minutes[i];
    has_average[i] = has_average[i] || o.has_average[i];
  }
}

double CostAccumulator::cost_of(CostFamily f) const {
  auto i = static_cast<std::size_t>(f);
  return has_cost[i] ? cost[i] : NAN;
}

double CostAccumulator::efficiency(Efficiency e) const {
  auto i = static_cast<std::size_t>(e);
  if (eff_n[i] == 0) return NAN;
  if (eff_weight[i] > 0) return eff_weighted[i] / eff_weight[i];
  return eff_plain[i] / eff_n[i];  // all costs zero: nothing to weight by
}

double CostAccumulator::average(Average a, double window_minutes) const {
  auto i = static_cast<std::size_t>(a);
  if (!has_average[i] || !(window_minutes > 0)) return NAN;
  return unit_minutes[i] / window_minutes;
}

double window_hours_of(const CostSnapshot& snapshot, std::string_view cluster) {
  const auto it =
      std::lower_bound(snapshot.clusters.begin(), snapshot.clusters.end(), cluster,
                       [](const ClusterTotals& c, std::string_view name) { return c.name < name; });
  return it != snapshot.clusters.end() && it->name == cluster ? it->window_hours
                                                              : snapshot.window_hours;
}

double rate_divisor(double window_hours, const CostSeriesOptions& options) {
  return options.metric_mode == MetricMode::rate && window_hours > 0 ? window_hours : 1.0;
}

namespace {
// One set per answer (accumulate, no step) brings each pod's costs at once, so only the top N
// need be held; answers of several sets bring a pod back, so every pod is held until the end.
std::size_t pods_held(const CostSeriesOptions& options) {
  const auto keep = static_cast<std::size_t>(std::max(options.top_n_pods, 0));
  return options.accumulate && !options.time_series ? keep : static_cast<std::size_t>(-1);
}
}  // namespace

SnapshotBuilder::SnapshotBuilder(const CostSeriesOptions& options, double now)
    : m_options(options),
      m_now(now),
      m_top_pods(static_cast<std::size_t>(std::max(options.top_n_pods, 0)), pods_held(options)) {
  m_snap.pods_enabled = options.pod_metrics;
  if (!options.multi_cluster) cluster_totals(options.cluster_name);
}

std::size_t SnapshotBuilder::cluster_totals(std::string_view cluster) {
  auto [it, ins] = m_cluster_index.try_emplace(std::string(cluster), m_snap.clusters.size());
  if (ins) {
    m_snap.clusters.push_back(ClusterTotals{std::string(cluster), {}, {}, 0});
    m_cluster_sets.emplace_back();
  }
  return it->second;
}

void SnapshotBuilder::add_span(SetSpan& span, const ParsedAllocation& a) {
  widen(span.window, a.window_start, a.window_end);
  widen(span.data, a.data_start, a.data_end);
}

double SnapshotBuilder::covered_hours(const std::vector<SetSpan>& sets, double now) {
  if (sets.empty()) return NAN;
  double seconds = 0;
  for (const auto& set : sets) {
    auto [start, end] = set.window;
    const auto [data_start, data_end] = set.data;
    if (!std::isnan(data_start) && !std::isnan(data_end) && data_end > data_start) {
      start = data_start;
      end = data_end;
    }
    if (std::isnan(start) || std::isnan(end)) return NAN;
    seconds += std::max(0.0, std::min(end, now) - start);
  }
  return seconds / 3600.0;
}

CostRow& SnapshotBuilder::namespace_row(std::string_view cluster, std::string_view ns,
                                        const ParsedAllocation& a) {
  const std::size_t n_labels = m_options.label_keys.size();
  // Kubecost sorts its keys, so consecutive allocations usually share the namespace.
  if (m_last_ns >= m_snap.namespaces.size() || m_snap.namespaces[m_last_ns].namespace_name != ns ||
      m_snap.namespaces[m_last_ns].cluster != cluster) {
    m_key.assign(cluster);
    m_key += '\0';
    m_key += ns;
    auto [it, ins] = m_ns_index.try_emplace(m_key, m_snap.namespaces.size());
    if (ins) {
      m_snap.namespaces.push_back(CostRow{
          std::string(cluster), std::string(ns), {}, std::vector<std::string>(n_labels), {}});
      m_label_conflict.emplace_back(n_labels, false);
    }
    m_last_ns = it->second;
  }
  CostRow& row = m_snap.namespaces[m_last_ns];
  // label_<key> on a namespace is the namespace's own label (namespaceLabels): pod labels are
  // dropped when Kubecost/OpenCost merge a namespace's allocations (OpenCost
  // core/pkg/opencost/allocationprops.go Intersection keeps Labels only with
  // AggregatedMetadata, NamespaceLabels whenever the namespace agrees).
  if (n_labels == 0 || !a.namespace_label_values) return row;
  // A namespace carries a label value only when every allocation in it agrees.
  auto& conflict = m_label_conflict[m_last_ns];
  for (std::size_t i = 0; i < n_labels; ++i) {
    std::string_view v = (*a.namespace_label_values)[i];
    if (conflict[i] || v.empty()) continue;
    if (row.labels[i].empty()) {
      row.labels[i] = v;
    } else if (row.labels[i] != v) {
      row.labels[i].clear();
      conflict[i] = true;
    }
  }
  return row;
}

ClusterKey cluster_key(const ParsedAllocation& a, const CostSeriesOptions& options) {
  if (!options.multi_cluster) return {options.cluster_name, a.name};
  const auto slash = a.name.find('/');
  return {a.cluster.empty() ? a.name.substr(0, slash) : a.cluster,
          slash == std::string_view::npos ? std::string_view{} : a.name.substr(slash + 1)};
}

void SnapshotBuilder::add(const ParsedAllocation& a) {
  ++m_snap.allocations;
  if (a.set_index >= m_sets.size()) m_sets.resize(a.set_index + 1);
  add_span(m_sets[a.set_index], a);

  const auto [cluster, key] = cluster_key(a, m_options);
  if (is_unsplit_idle(a, cluster, m_options)) {
    ++m_snap.unsplit_idle_dropped;
    m_snap.unsplit_idle_cost += or_zero(a.get(AllocField::total_cost));
    return;
  }
  const std::size_t c = cluster_totals(cluster);
  if (m_options.multi_cluster) {
    auto& sets = m_cluster_sets[c];
    if (sets.empty() || sets.back().set_index != a.set_index)
      sets.push_back(SetSpan{a.set_index, {NAN, NAN}, {NAN, NAN}});
    add_span(sets.back(), a);
  }
  ClusterTotals& totals = m_snap.clusters[c];
  if (is_idle(a.name)) {
    m_snap.idle.add(a);
    totals.idle.add(a);
    return;
  }
  std::string_view ns = a.namespace_name;
  std::string_view pod = a.pod;
  if (m_snap.pods_enabled) {
    auto slash = key.find('/');
    if (ns.empty()) ns = key.substr(0, slash);
    if (pod.empty() && slash != std::string_view::npos) pod = key.substr(slash + 1);
    if (pod.empty()) pod = key;
  } else if (ns.empty()) {
    ns = key;  // aggregate=namespace: the key is the namespace (or __unallocated__ ...)
  }
  CostRow& ns_row = namespace_row(cluster, ns, a);
  auto any_cost = [](const CostAccumulator& acc) {
    return std::find(acc.has_cost.begin(), acc.has_cost.end(), true) != acc.has_cost.end();
  };
  const bool had_cost = any_cost(ns_row.acc);
  ns_row.acc.add(a);
  if (!had_cost && any_cost(ns_row.acc)) ++m_rows_with_cost;
  if (m_snap.pods_enabled) m_top_pods.add(m_last_ns, cluster, ns, pod, a);
}

namespace {

// Sorts rows by `less` through their indices, then moves each row once into its place (a cycle
// at a time, in place): the rows are large, the comparisons many.
template <class Less>
void sort_rows(std::vector<CostRow>& rows, Less less) {
  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return less(rows[a], rows[b]); });
  // order[i]: the row that belongs at i. Each cycle i <- order[i] <- ... is rotated once.
  for (std::size_t start = 0; start < rows.size(); ++start) {
    if (order[start] == start) continue;
    CostRow held = std::move(rows[start]);
    std::size_t at = start;
    while (order[at] != start) {
      const std::size_t from = order[at];
      rows[at] = std::move(rows[from]);
      order[at] = at;
      at = from;
    }
    rows[at] = std::move(held);
    order[at] = at;
  }
}

}  // namespace

CostSnapshot SnapshotBuilder::finish() && {
  // Window span, per set: what its allocations' own start/end cover (Kubecost's data can lag
  // the wall clock); else the set window clamped to now; else the configured window's length.
  const double hours = covered_hours(m_sets, m_now);
  m_snap.window_hours = hours > 0 ? hours : m_options.window.nominal_hours;
  // Each cluster's the same way, over its own allocations (multiCluster).
  for (std::size_t c = 0; c < m_snap.clusters.size(); ++c) {
    const double own = m_options.multi_cluster ? covered_hours(m_cluster_sets[c], m_now) : NAN;
    m_snap.clusters[c].window_hours = own > 0 ? own : m_snap.window_hours;
  }

  // Rows of one cluster (every row without multiCluster) are ordered by their names alone.
  const bool one_cluster = m_snap.clusters.size() <= 1;
  // The pods first: their remainders are keyed by the namespaces' order of arrival.
  if (m_snap.pods_enabled) {
    m_snap.pods = std::move(m_top_pods).finish(m_snap.namespaces);
    sort_rows(m_snap.pods, [one_cluster](const CostRow& a, const CostRow& b) {
      if (!one_cluster && a.cluster != b.cluster) return a.cluster < b.cluster;
      if (a.namespace_name != b.namespace_name) return a.namespace_name < b.namespace_name;
      return a.pod < b.pod;
    });
  }
  sort_rows(m_snap.namespaces, [one_cluster](const CostRow& a, const CostRow& b) {
    if (!one_cluster && a.cluster != b.cluster) return a.cluster < b.cluster;
    return a.namespace_name < b.namespace_name;
  });
  for (const auto& row : m_snap.namespaces) {
    m_snap.cluster.merge(row.acc);
    m_snap.clusters[m_cluster_index.at(row.cluster)].total.merge(row.acc);
  }
  m_snap.cluster.merge(m_snap.idle);
  for (auto& c : m_snap.clusters) c.total.merge(c.idle);
  std::sort(m_snap.clusters.begin(), m_snap.clusters.end(),
            [](const ClusterTotals& a, const ClusterTotals& b) { return a.name < b.name; });
  return std::move(m_snap);
}

}  // namespace kci

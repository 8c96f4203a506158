#include "exporter/serve/cost_snapshot.hpp"

#include <algorithm>

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

}  // namespace

void CostAccumulator::add(const ParsedAllocation& a) {
  for (std::size_t i = 0; i < k_cost_family_count; ++i) {
    double v = a.get(k_cost_fields[i]);
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

double rate_divisor(const CostSnapshot& snapshot, const Config& config) {
  return config.metric_mode == MetricMode::rate && snapshot.window_hours > 0 ? snapshot.window_hours
                                                                             : 1.0;
}

namespace {
// One set per answer (accumulate, no step) brings each pod's costs at once, so only the top N
// need be held; answers of several sets bring a pod back, so every pod is held until the end.
std::size_t pods_held(const Config& config) {
  const auto keep = static_cast<std::size_t>(std::max(config.top_n_pods, 0));
  return config.accumulate && !config.time_series ? keep : static_cast<std::size_t>(-1);
}
}  // namespace

SnapshotBuilder::SnapshotBuilder(const Config& config, double now)
    : m_config(config),
      m_now(now),
      m_top_pods(static_cast<std::size_t>(std::max(config.top_n_pods, 0)), pods_held(config)) {
  m_snap.pods_enabled = config.wants_pods();
}

CostRow& SnapshotBuilder::namespace_row(std::string_view ns, const ParsedAllocation& a) {
  const std::size_t n_labels = m_config.label_keys.size();
  // Kubecost sorts its keys, so consecutive allocations usually share the namespace.
  if (m_last_ns >= m_snap.namespaces.size() || m_snap.namespaces[m_last_ns].namespace_name != ns) {
    m_key.assign(ns);
    auto [it, ins] = m_ns_index.try_emplace(m_key, m_snap.namespaces.size());
    if (ins) {
      m_snap.namespaces.push_back(CostRow{m_key, {}, std::vector<std::string>(n_labels), {}});
      m_label_conflict.emplace_back(n_labels, false);
    }
    m_last_ns = it->second;
  }
  CostRow& row = m_snap.namespaces[m_last_ns];
  if (n_labels == 0 || !a.label_values) return row;
  // A namespace carries a label value only when every allocation in it agrees.
  auto& conflict = m_label_conflict[m_last_ns];
  for (std::size_t i = 0; i < n_labels; ++i) {
    std::string_view v = (*a.label_values)[i];
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

void SnapshotBuilder::add(const ParsedAllocation& a) {
  ++m_snap.allocations;
  if (a.set_index >= m_set_windows.size()) m_set_windows.resize(a.set_index + 1, {NAN, NAN});
  auto& w = m_set_windows[a.set_index];
  if (!std::isnan(a.window_start) && (std::isnan(w.first) || a.window_start < w.first))
    w.first = a.window_start;
  if (!std::isnan(a.window_end) && (std::isnan(w.second) || a.window_end > w.second))
    w.second = a.window_end;

  if (is_idle(a.name)) {
    m_snap.idle.add(a);
    return;
  }
  std::string_view ns = a.namespace_name;
  std::string_view pod = a.pod;
  if (m_snap.pods_enabled) {
    auto slash = a.name.find('/');
    if (ns.empty()) ns = a.name.substr(0, slash);
    if (pod.empty() && slash != std::string_view::npos) pod = a.name.substr(slash + 1);
    if (pod.empty()) pod = a.name;
  } else if (ns.empty()) {
    ns = a.name;  // aggregate=namespace: the key is the namespace (or __unallocated__ ...)
  }
  CostRow& ns_row = namespace_row(ns, a);
  ns_row.acc.add(a);
  if (m_snap.pods_enabled) m_top_pods.add(m_last_ns, ns, pod, a);
}

CostSnapshot SnapshotBuilder::finish() && {
  // Window span: the sets' windows clamped to now; else the configured window's length.
  double seconds = 0;
  bool complete = !m_set_windows.empty();
  for (auto [start, end] : m_set_windows) {
    if (std::isnan(start) || std::isnan(end)) {
      complete = false;
      break;
    }
    seconds += std::max(0.0, std::min(end, m_now) - start);
  }
  m_snap.window_hours =
      (complete && seconds > 0) ? seconds / 3600.0 : m_config.window.nominal_hours;

  // The pods first: their remainders are keyed by the namespaces' order of arrival.
  if (m_snap.pods_enabled) {
    m_snap.pods = std::move(m_top_pods).finish(m_snap.namespaces);
    std::sort(m_snap.pods.begin(), m_snap.pods.end(), [](const CostRow& a, const CostRow& b) {
      if (a.namespace_name != b.namespace_name) return a.namespace_name < b.namespace_name;
      return a.pod < b.pod;
    });
  }
  std::sort(m_snap.namespaces.begin(), m_snap.namespaces.end(),
            [](const CostRow& a, const CostRow& b) { return a.namespace_name < b.namespace_name; });
  for (const auto& row : m_snap.namespaces) m_snap.cluster.merge(row.acc);
  m_snap.cluster.merge(m_snap.idle);
  return std::move(m_snap);
}

}  // namespace kci

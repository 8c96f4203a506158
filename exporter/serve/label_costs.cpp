#include "exporter/serve/label_costs.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "exporter/serve/exposition.hpp"

namespace kci {

LabelCostSink::LabelCostSink(const CostSeriesOptions& options, std::string label_key)
    : AllocationStreamSink({}, [this](const ParsedAllocation& a) { add(a); }),
      m_options(options),
      m_label_key(std::move(label_key)) {}

void LabelCostSink::begin() {
  AllocationStreamSink::begin();
  m_rows.clear();
  m_index.clear();
}

void LabelCostSink::add(const ParsedAllocation& a) {
  if (a.name.ends_with("__idle__")) return;  // the idle_ family
  auto [cluster, value] = cluster_key(a, m_options);
  if (value.empty()) value = "__unallocated__";
  std::string key(cluster);
  key += '\0';
  key += value;
  auto [it, inserted] = m_index.try_emplace(std::move(key), m_rows.size());
  if (inserted)
    m_rows.push_back(LabelCostRow{m_label_key, std::string(cluster), std::string(value), {}});
  m_rows[it->second].acc.add(a);
}

Expected<std::vector<LabelCostRow>> LabelCostSink::finish() {
  const bool refused_while_arriving = refused();
  auto done = AllocationStreamSink::finish();
  if (!done.ok() && refused_while_arriving) return done.failure();
  if (!done.ok()) {
    Failure f = done.failure();
    f.message = "label:" + m_label_key + ": " + f.message;
    return f;
  }
  std::sort(m_rows.begin(), m_rows.end(), [](const LabelCostRow& a, const LabelCostRow& b) {
    if (a.cluster != b.cluster) return a.cluster < b.cluster;
    return a.value < b.value;
  });
  return std::move(m_rows);
}

std::string render_label_costs(const std::vector<LabelCostRow>& rows,
                               const CostSeriesOptions& options, const CostSnapshot& snapshot,
                               std::size_t& series) {
  struct Def {
    CostFamily family;
    const char* name;
    const char* help;
  };
  static constexpr std::array<Def, 3> k_defs = {{
      {CostFamily::total, "cloudtuner_kubecost_label_total_cost", "Total cost"},
      {CostFamily::cpu, "cloudtuner_kubecost_label_cpu_cost", "CPU cost"},
      {CostFamily::ram, "cloudtuner_kubecost_label_ram_cost", "RAM cost"},
  }};
  const bool rate = options.metric_mode == MetricMode::rate;
  std::string out;
  if (rows.empty()) return out;
  // Per row, its cluster's divisor (rows come sorted by cluster: one look-up per cluster).
  std::vector<double> divisor;
  divisor.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    divisor.push_back(i > 0 && rows[i].cluster == rows[i - 1].cluster
                          ? divisor.back()
                          : rate_divisor(window_hours_of(snapshot, rows[i].cluster), options));
  for (const auto& def : k_defs) {
    std::string help = def.help;
    help +=
        " by the value of a Kubernetes label (aggregate=label:<key>; __unallocated__ is the "
        "pods without it; the values plus idle are the cluster)";
    help += rate ? " per hour (" + options.currency + "/h)."
                 : " over the query window (" + options.currency + ").";
    help += " Cached from the last successful Kubecost poll.";
    append_family_header(out, def.name, help, "gauge");
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const LabelCostRow& r = rows[i];
      const double v = r.acc.cost_of(def.family);
      if (std::isnan(v)) continue;
      out += def.name;
      out += "{label_key=\"";
      append_label_value(out, r.label_key);
      out += "\",label_value=\"";
      append_label_value(out, r.value);
      out += "\",cluster=\"";
      append_label_value(out, r.cluster);
      out += "\",tenant_id=\"";
      append_label_value(out, options.tenant_id);
      out += "\",currency=\"";
      append_label_value(out, options.currency);
      out += "\"} ";
      append_sample_value(out, v / divisor[i]);
      out += '\n';
      ++series;
    }
  }
  return out;
}

}  // namespace kci

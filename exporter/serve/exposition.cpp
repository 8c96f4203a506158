#include "exporter/serve/exposition.hpp"

#include <charconv>
#include <cmath>

#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

struct FamilyDef {
  const char* suffix;
  const char* help;
};

constexpr std::array<FamilyDef, k_cost_family_count> k_cost_defs = {{
    {"total_cost", "Total cost"},
    {"cpu_cost", "CPU cost"},
    {"ram_cost", "RAM cost"},
    {"gpu_cost", "GPU cost"},
    {"pv_cost", "Persistent volume cost"},
    {"network_cost", "Network cost"},
    {"lb_cost", "Load balancer cost"},
    {"shared_cost", "Shared cost"},
    {"external_cost", "External (out-of-cluster) cost"},
}};

constexpr std::array<FamilyDef, k_efficiency_count> k_eff_defs = {{
    {"cpu_efficiency", "CPU efficiency (usage/request), cost-weighted"},
    {"ram_efficiency", "RAM efficiency (usage/request), cost-weighted"},
    {"total_efficiency", "Total efficiency, weighted by CPU plus RAM cost"},
}};

constexpr std::array<FamilyDef, k_average_count> k_avg_defs = {{
    {"cpu_request_cores", "Average CPU cores requested over the window"},
    {"cpu_usage_cores", "Average CPU cores used over the window"},
    {"ram_request_bytes", "Average RAM bytes requested over the window"},
    {"ram_usage_bytes", "Average RAM bytes used over the window"},
}};

constexpr std::string_view k_prefix = "cloudtuner_kubecost_";
constexpr std::string_view k_cached = " Cached from the last successful Kubecost poll.";

// Pre-escaped label text shared by every series of a poll.
struct Common {
  std::string tenant, currency;
  std::vector<std::string> label_names;
};

Common make_common(const CostSeriesOptions& c) {
  Common k;
  k.tenant = ",tenant_id=\"";
  append_label_value(k.tenant, c.tenant_id);
  k.tenant += '"';
  k.currency = ",currency=\"";
  append_label_value(k.currency, c.currency);
  k.currency += '"';
  for (const auto& key : c.label_keys) k.label_names.push_back("label_" + sanitize_label_name(key));
  return k;
}

// A row's labels up to the tenant's: `{cluster="…",namespace="…",pod="…",tenant_id="…"`.
void row_labels_head(std::string& out, const Common& k, std::string_view cluster,
                     const CostRow* row) {
  out += "{cluster=\"";
  append_label_value(out, row ? std::string_view(row->cluster) : cluster);
  out += '"';
  if (row) {
    out += ",namespace=\"";
    append_label_value(out, row->namespace_name);
    out += '"';
    if (!row->pod.empty()) {
      out += ",pod=\"";
      append_label_value(out, row->pod);
      out += '"';
    }
  }
  out += k.tenant;
}

// The rest, after the currency's place: `,label_team="…"}`.
void row_labels_tail(std::string& out, const Common& k, const CostRow* row) {
  if (row) {
    for (std::size_t i = 0; i < k.label_names.size() && i < row->labels.size(); ++i) {
      out += ',';
      out += k.label_names[i];
      out += "=\"";
      append_label_value(out, row->labels[i]);
      out += '"';
    }
  }
  out += '}';
}

void row_labels(std::string& out, const Common& k, std::string_view cluster, const CostRow* row,
                bool with_currency) {
  row_labels_head(out, k, cluster, row);
  if (with_currency) out += k.currency;
  row_labels_tail(out, k, row);
}

}  // namespace

void append_label_value(std::string& out, std::string_view value) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    const char* rep = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n" : nullptr;
    if (!rep) continue;
    out.append(value.data() + start, i - start);
    out += rep;
    start = i + 1;
  }
  out.append(value.data() + start, value.size() - start);
}

void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_sample_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, p);
  }
}

// A series' label text, in up to three pieces: the currency label goes between head and tail.
struct LabelText {
  explicit LabelText(std::string_view whole) : head(whole) {}
  LabelText(std::string_view h, const std::string* c, std::string_view t)
      : head(h), currency(c), tail(t) {}
  std::string_view head;
  const std::string* currency = nullptr;
  std::string_view tail;
};

// The `{...}` label text of each row, escaped once per poll into one buffer and reused by
// every family (no allocation per row). One text per row serves with and without the currency
// label: it is inserted where the text splits.
struct RowLabels {
  std::string text;
  struct Row {
    std::size_t start, split, end;
  };
  std::vector<Row> rows;
  const std::string* currency = nullptr;
  LabelText with(std::size_t r) const {
    const Row& w = rows[r];
    return {std::string_view(text).substr(w.start, w.split - w.start), currency,
            std::string_view(text).substr(w.split, w.end - w.split)};
  }
  LabelText without(std::size_t r) const {
    const Row& w = rows[r];
    return LabelText(std::string_view(text).substr(w.start, w.end - w.start));
  }
};

RowLabels label_texts(const Common& k, const std::vector<CostRow>& rows) {
  RowLabels out;
  out.currency = &k.currency;
  out.rows.reserve(rows.size());
  for (const auto& row : rows) {
    const std::size_t start = out.text.size();
    row_labels_head(out.text, k, {}, &row);
    const std::size_t split = out.text.size();
    row_labels_tail(out.text, k, &row);
    out.rows.push_back({start, split, out.text.size()});
  }
  return out;
}

namespace {

// Per row, what its cluster's span makes of it: the rate divisor and the averages' minutes (one
// look-up per cluster: the rows come sorted by cluster).
struct RowSpans {
  std::vector<double> divisor, minutes;
};

RowSpans row_spans(const CostSnapshot& snap, const std::vector<CostRow>& rows,
                   const CostSeriesOptions& options) {
  RowSpans out;
  out.divisor.reserve(rows.size());
  out.minutes.reserve(rows.size());
  const std::string* cluster = nullptr;
  double hours = 0;
  for (const auto& row : rows) {
    if (!cluster || *cluster != row.cluster) {
      cluster = &row.cluster;
      hours = window_hours_of(snap, row.cluster);
    }
    out.divisor.push_back(rate_divisor(hours, options));
    out.minutes.push_back(hours * 60.0);
  }
  return out;
}

// The one walk over the cost families: writes them into `sink`, or, with no sink, only counts
// the series it would write (no label text is built: count_costs is cheap on a huge snapshot).
std::size_t emit_costs(const CostSnapshot& snap, const CostSeriesOptions& options,
                       const ExpositionSink* sink) {
  std::size_t series = 0;
  const Common k = make_common(options);
  const RowLabels ns_labels = sink ? label_texts(k, snap.namespaces) : RowLabels{};
  const RowLabels pod_labels = sink ? label_texts(k, snap.pods) : RowLabels{};
  // A row's label text; nothing when only counting.
  auto with = [&](const RowLabels* labels, std::size_t r) {
    return sink ? labels->with(r) : LabelText(std::string_view{});
  };
  auto without = [&](const RowLabels* labels, std::size_t r) {
    return sink ? labels->without(r) : LabelText(std::string_view{});
  };
  // One label text per cluster for the cluster_ and idle_ families.
  std::vector<std::string> single_with(snap.clusters.size()), single_without(snap.clusters.size());
  for (std::size_t c = 0; c < snap.clusters.size(); ++c) {
    row_labels(single_with[c], k, snap.clusters[c].name, nullptr, true);
    row_labels(single_without[c], k, snap.clusters[c].name, nullptr, false);
  }
  const bool rate = options.metric_mode == MetricMode::rate;
  // Each row and each cluster by its cluster's span (one span without multiCluster).
  const RowSpans ns_spans = row_spans(snap, snap.namespaces, options);
  const RowSpans pod_spans = row_spans(snap, snap.pods, options);
  RowSpans cluster_spans;
  for (const auto& c : snap.clusters) {
    cluster_spans.divisor.push_back(rate_divisor(c.window_hours, options));
    cluster_spans.minutes.push_back(c.window_hours * 60.0);
  }
  const std::string unit =
      rate ? " per hour (window total divided by window hours, " + options.currency + "/h)."
           : " over the query window (" + options.currency + ").";
  std::string out;
  out.reserve(k_exposition_piece + 4096);
  std::string name;

  auto sample = [&](const LabelText& labels, double v) {
    if (std::isnan(v)) return;  // absent: no series rather than a fake 0
    if (!sink) {
      ++series;
      return;
    }
    out += name;
    out += labels.head;
    if (labels.currency) {
      out += *labels.currency;
      out += labels.tail;
    }
    out += ' ';
    append_sample_value(out, v);
    out += '\n';
    ++series;
    if (out.size() >= k_exposition_piece) {
      (*sink)(out);
      out.clear();
    }
  };

  struct ScopeDef {
    const char* prefix;
    const char* what;
    const std::vector<CostRow>* rows;
    const RowLabels* labels;
    const RowSpans* spans;  // of the rows, else of the clusters
    CostAccumulator ClusterTotals::*single;
  };
  const std::array<ScopeDef, 3> scopes = {{
      {"namespace_", "for namespace", &snap.namespaces, &ns_labels, &ns_spans, nullptr},
      {"cluster_", "for cluster, idle included", nullptr, nullptr, &cluster_spans,
       &ClusterTotals::total},
      {"idle_", "of idle capacity (cluster minus namespaces)", nullptr, nullptr, &cluster_spans,
       &ClusterTotals::idle},
  }};
  for (const auto& s : scopes) {
    for (std::size_t f = 0; f < k_cost_family_count; ++f) {
      name.assign(k_prefix).append(s.prefix).append(k_cost_defs[f].suffix);
      append_family_header(
          out, name, std::string(k_cost_defs[f].help) + " " + s.what + unit + std::string(k_cached),
          "gauge");
      if (s.rows) {
        for (std::size_t r = 0; r < s.rows->size(); ++r)
          sample(with(s.labels, r),
                 (*s.rows)[r].acc.cost_of(static_cast<CostFamily>(f)) / s.spans->divisor[r]);
      } else {
        for (std::size_t c = 0; c < snap.clusters.size(); ++c) {
          double v = (snap.clusters[c].*s.single).cost_of(static_cast<CostFamily>(f));
          // Idle exists even when Kubecost sent none (shared or excluded): then it is 0.
          if (std::isnan(v) && s.single == &ClusterTotals::idle) v = 0;
          sample(LabelText(single_with[c]), v / s.spans->divisor[c]);
        }
      }
    }
    if (s.single == &ClusterTotals::idle) continue;
    for (std::size_t e = 0; e < k_efficiency_count; ++e) {
      name.assign(k_prefix).append(s.prefix).append(k_eff_defs[e].suffix);
      append_family_header(
          out, name, std::string(k_eff_defs[e].help) + " " + s.what + "." + std::string(k_cached),
          "gauge");
      if (s.rows) {
        for (std::size_t r = 0; r < s.rows->size(); ++r)
          sample(without(s.labels, r), (*s.rows)[r].acc.efficiency(static_cast<Efficiency>(e)));
      } else {
        for (std::size_t c = 0; c < snap.clusters.size(); ++c)
          sample(LabelText(single_without[c]),
                 (snap.clusters[c].*s.single).efficiency(static_cast<Efficiency>(e)));
      }
    }
    for (std::size_t a = 0; a < k_average_count; ++a) {
      name.assign(k_prefix).append(s.prefix).append(k_avg_defs[a].suffix);
      append_family_header(
          out, name, std::string(k_avg_defs[a].help) + " " + s.what + "." + std::string(k_cached),
          "gauge");
      if (s.rows) {
        for (std::size_t r = 0; r < s.rows->size(); ++r)
          sample(without(s.labels, r),
                 (*s.rows)[r].acc.average(static_cast<Average>(a), s.spans->minutes[r]));
      } else {
        for (std::size_t c = 0; c < snap.clusters.size(); ++c)
          sample(
              LabelText(single_without[c]),
              (snap.clusters[c].*s.single).average(static_cast<Average>(a), s.spans->minutes[c]));
      }
    }
  }
  if (snap.pods_enabled) {
    constexpr std::array<CostFamily, 3> pod_families = {CostFamily::total, CostFamily::cpu,
                                                        CostFamily::ram};
    for (CostFamily f : pod_families) {
      const auto& def = k_cost_defs[static_cast<std::size_t>(f)];
      name.assign(k_prefix).append("pod_").append(def.suffix);
      append_family_header(
          out, name,
          std::string(def.help) + " for the top " + std::to_string(options.top_n_pods) +
              " pods by total cost; pod=\"__other__\" is the rest of each namespace" + unit +
              std::string(k_cached),
          "gauge");
      for (std::size_t r = 0; r < snap.pods.size(); ++r)
        sample(with(&pod_labels, r), snap.pods[r].acc.cost_of(f) / pod_spans.divisor[r]);
    }
  }
  if (sink && !out.empty()) (*sink)(out);
  return series;
}

}  // namespace

std::size_t render_costs(const CostSnapshot& snap, const CostSeriesOptions& options,
                         const ExpositionSink& sink) {
  return emit_costs(snap, options, &sink);
}

std::size_t count_costs(const CostSnapshot& snap, const CostSeriesOptions& options) {
  return emit_costs(snap, options, nullptr);
}

std::string render_costs(const CostSnapshot& snap, const CostSeriesOptions& options,
                         std::size_t& series) {
  std::string text;
  series += render_costs(snap, options, [&](std::string_view piece) { text += piece; });
  return text;
}

}  // namespace kci

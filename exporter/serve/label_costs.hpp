#pragma once
// Cost by label value: the `cloudtuner_kubecost_label_{total,cpu,ram}_cost` families, from one
// `aggregate=label:<key>` answer per labelKeys entry (`cluster,label:<key>` with multiCluster).
// Kubecost names each allocation by the label's value and pods without the label
// `__unallocated__` (OpenCost core/pkg/opencost/allocationprops.go GenerateKey), so per key and
// cluster: sum(label values, __unallocated__ included) + idle == cluster. Idle is not repeated
// here: it is the idle_ family.
//
// One request per key rather than one multi-aggregate (`label:a,label:b`): a multi-aggregate
// answers one allocation per combination of values that occurs (up to min(|a| x |b|, pods)) and
// each key's totals have to be summed back out of it; per-key answers are |a| + |b|
// allocations. Measured on the e2e stand-in (24 pods, app nested in team): label:team 8 +
// label:app 25 = 33 allocations (41 KB, two requests) against 25 (33 KB, one request) for
// label:team,label:app; nested keys favour the multi-aggregate, independent keys (team x env x
// app) grow its answer toward one allocation per pod while per-key stays the sum. With one key,
// the common case, both are the same request.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/kubecost/allocation_stream_sink.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/util/result.hpp"

namespace kci {

struct LabelCostRow {
  std::string label_key;  // the labelKeys entry as configured (Kubernetes spelling)
  std::string cluster;
  std::string value;  // the label's value, or __unallocated__
  CostAccumulator acc;
};

// Parses one label-aggregated answer as it arrives into rows for `label_key`. `options` (the
// cluster of each row) must outlive the sink.
class LabelCostSink : public AllocationStreamSink {
 public:
  LabelCostSink(const CostSeriesOptions& options, std::string label_key);
  void begin() override;
  // The rows, sorted by (cluster, value), or the answer's failure.
  Expected<std::vector<LabelCostRow>> finish();

 private:
  void add(const ParsedAllocation& a);

  const CostSeriesOptions& m_options;
  std::string m_label_key;
  std::vector<LabelCostRow> m_rows;
  std::unordered_map<std::string, std::size_t> m_index;  // (cluster, value) -> row
};

// The three label families for every row (rows of all keys). Each row's costs are divided as
// the cost families of its cluster are: by rate_divisor of the span `snapshot` (the allocation
// answer of the same poll) gives that cluster (window_hours_of). Adds the number of samples
// written to `series`.
std::string render_label_costs(const std::vector<LabelCostRow>& rows,
                               const CostSeriesOptions& options, const CostSnapshot& snapshot,
                               std::size_t& series);

}  // namespace kci

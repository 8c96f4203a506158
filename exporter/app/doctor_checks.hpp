#pragma once
// The checks of `allocation-exporter doctor`, apart from the network: what one Allocation API
// answer holds, what a Prometheus instant query returned, and the verdict line of each check.
// doctor_mode.cpp does the requests and prints; these are pure so unit tests feed them bodies.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/config.hpp"
#include "exporter/util/result.hpp"

namespace kci {

enum class VerdictStatus { ok, warn, fail, skip };

// One printed line: "ok   kubecost: ...", "WARN ...", "FAIL ...", "skip ...". Only `fail`
// makes doctor exit non-zero.
struct Verdict {
  VerdictStatus status;
  std::string check;   // "kubecost", "tenant id", "prometheus target", ...
  std::string detail;  // one line, no secrets
};
std::string format_verdict(const Verdict& v);

// What one Allocation API answer covers (the answer the serve mode's poll would get).
struct AllocationSummary {
  std::size_t sets = 0, allocations = 0;
  std::set<std::string> namespaces;                // properties.namespace of non-idle allocations
  std::set<std::string> clusters;                  // properties.cluster, where present
  bool idle = false;                               // an __idle__ allocation is in the answer
  std::optional<double> window_start, window_end;  // earliest/latest set window, Unix seconds
  std::optional<double> newest_end;  // the latest allocation `end` (what the data covers)
};

// Reads an answer (the serve mode's parser, plus each allocation's own `end`). Fails as the
// parser does (parse, empty, http_status: allocation_stream.hpp).
Expected<AllocationSummary> summarize_allocations(std::string_view body);

// The kubecost check's verdict: ok with flavour, namespaces, idle, clusters, window and data
// age; warn when the newest data is over 2 hours old (Kubecost's ETL behind) or idle is asked
// for and absent; fail for a failed fetch.
Verdict kubecost_verdict(const Config& config, std::string_view flavour,
                         const Expected<AllocationSummary>& summary, double now_unix);

// tenant id: ok "<id>", or fail naming the three ways to set it.
Verdict tenant_verdict(const Config& config);

// One sample of a Prometheus instant-query vector.
struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

// The `data.result` of an /api/v1/query answer of resultType vector (Prometheus HTTP API:
// {"status":"success","data":{"resultType":"vector","result":[{"metric":{..},"value":[t,"v"]}]}}).
// An error answer ({"status":"error","errorType":..,"error":..}) fails with its error text.
Expected<std::vector<PromSample>> parse_prometheus_vector(std::string_view body);

using PromQuery = std::function<Expected<std::vector<PromSample>>(const std::string& promql)>;

// Is the exporter's scrape target up? With `job`, `up{job="<job>"}`; without, the targets whose
// cloudtuner_kubecost_exporter_info was seen in the last hour (so a target that went down is
// found too). fail: no such target, or any of them has up == 0.
Verdict prometheus_target_verdict(const PromQuery& query, const std::string& job);

// Are cloudtuner_kubecost_* series in Prometheus (and with our tenant_id when it is set)?
Verdict prometheus_series_verdict(const PromQuery& query, const std::string& tenant_id);

// Is remote_write failing? Per queue (remote_name; only `remote_name` when set): the 5-minute
// rate of prometheus_remote_storage_samples_failed_total (fail when > 0) and
// prometheus_remote_storage_samples_pending (reported). warn when there is no queue at all.
Verdict remote_write_verdict(const PromQuery& query, const std::string& remote_name);

// "3m", "2h5m", "45s": an age for a verdict line.
std::string format_age(double seconds);

}  // namespace kci

#include "exporter/s3export/http_kubecost_api.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "exporter/kubecost/allocation_stream_sink.hpp"

#include "exporter/config/cluster_arn.hpp"
#include "exporter/kubecost/kubecost_query.hpp"
#include "exporter/s3export/utc_day.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

// The hard cap on one Kubecost request of s3-export, far above any day's answer: the read
// timeouts are waits between reads (as the AWS exporter's requests timeout=(connect, read)
// means), so a long answer that keeps arriving is read whole; this and the run deadline
// (s3ExportRunTimeout) bound a peer that drips forever.
constexpr std::chrono::milliseconds k_kubecost_request_cap = std::chrono::minutes(30);

// The Assets answer is read whole (one entry per node: about 3 KB with its labels, so 64 MiB is
// some 20 000 nodes); a larger one is refused as it arrives, so the CronJob's memory limit is
// never reached: the day is then exported as for any Assets failure (node labels on allocations).
constexpr std::uint64_t k_assets_answer_cap = 64ULL << 20;

HttpEndpoint with_timeout(const KubecostConnection& connection,
                          std::chrono::milliseconds read_timeout, const char* name) {
  HttpEndpoint e = connection;
  e.idle_timeout = read_timeout;
  e.idle_timeout_name = name;
  e.request_timeout = std::max(k_kubecost_request_cap, read_timeout);
  e.request_timeout_name = "the cap on one Kubecost request";
  return e;
}

HttpEndpoint assets_endpoint(const KubecostConnection& connection,
                             const S3ExportQueryOptions& query) {
  HttpEndpoint e =
      with_timeout(connection, query.assets_read_timeout, "KUBECOST_ASSETS_API_READ_TIMEOUT");
  e.max_response_bytes = std::min(e.max_response_bytes, k_assets_answer_cap);
  e.size_setting = "the Assets answer cap (bytes)";
  return e;
}

// An Allocation answer streamed into the visitor as it arrives: the day never sits in memory.
// Rows the visitor wrote cannot be taken back, so a request is retried only before the first
// allocation was handed over.
class AllocationSink : public AllocationStreamSink {
 public:
  AllocationSink(const ParseOptions& options, const AllocationVisitor& visit)
      : AllocationStreamSink(options, [this, &visit](const ParsedAllocation& a) {
          m_delivered = true;
          visit(a);
        }) {}
  bool can_restart() const override { return !m_delivered; }
  // An answer without allocations is a day without data, not a failure.
  Expected<void> finish(const Expected<void>& fetched) {
    if (!fetched.ok() && !is_sink_refused(fetched.failure())) return fetched.failure();
    auto done = AllocationStreamSink::finish();
    if (!done.ok() && done.failure().reason != FailureReason::empty) return done.failure();
    return {};
  }

 private:
  bool m_delivered = false;
};

// A duration as AWS's exporter prints its setting, a Python float (main.py reads
// CONNECTION_TIMEOUT and the read timeouts with float()): "10.0", "2.5".
std::string python_seconds(std::chrono::milliseconds d) {
  char text[32];
  if (d.count() % 1000 == 0)
    std::snprintf(text, sizeof text, "%lld.0", static_cast<long long>(d.count() / 1000));
  else
    std::snprintf(text, sizeof text, "%g", static_cast<double>(d.count()) / 1000.0);
  return text;
}

// The failure of query `q`, named by its path and window so that one endpoint's 404 is told
// from another's ("GET /model/allocation/compute window=...: HTTP 404: ...").
Failure of_query(Failure f, std::string_view path, std::string_view window) {
  f.message = "GET " + std::string(path) + " window=" + std::string(window) + ": " + f.message;
  return f;
}

Expected<void> stream_into(HttpClient& client, const std::string& query,
                           const ParseOptions& options, const AllocationVisitor& visit) {
  AllocationSink sink(options, visit);
  auto fetched = client.get(query, sink);
  return sink.finish(fetched);
}

}  // namespace

std::string s3_export_kubecost_cluster(const KubecostConnection& connection,
                                       const S3ExportQueryOptions& query) {
  if (!connection.cluster_id.empty()) return connection.cluster_id;
  auto arn = parse_cluster_arn(query.cluster_arn);
  return arn ? arn->name : std::string();
}

std::string s3_export_aggregate(const std::string& aggregation) {
  return aggregation == "container" ? std::string() : aggregation;
}

HttpKubecostApi::HttpKubecostApi(const KubecostConnection& connection,
                                 const S3ExportQueryOptions& query)
    : m_query(query),
      m_opencost(connection.flavour == Flavour::opencost),
      m_detect_flavour(connection.flavour == Flavour::auto_detect),
      m_cluster(s3_export_kubecost_cluster(connection, query)),
      m_cluster_explicit(!connection.cluster_id.empty()),
      m_connect_timeout(connection.connect_timeout),
      m_allocation_client(with_timeout(connection, query.allocation_read_timeout,
                                       "KUBECOST_ALLOCATION_API_READ_TIMEOUT")),
      m_assets_client(assets_endpoint(connection, query)) {
  for (const auto& k : query.labels) m_options.label_keys.push_back(sanitize_label_name(k));
  for (const auto& k : node_label_keys()) m_options.label_keys.push_back(k);  // kubecost_api.hpp
  for (const auto& k : query.annotations)
    m_options.annotation_keys.push_back(sanitize_label_name(k));
  m_options.all_properties = true;
}

void HttpKubecostApi::cancel() {
  m_allocation_client.cancel();
  m_assets_client.cancel();
}

std::string HttpKubecostApi::allocation_path(bool on_demand) const {
  if (on_demand) return m_opencost ? "/allocation/compute" : "/model/allocation/compute";
  return m_opencost ? "/allocation" : "/model/allocation";
}

// Kubecost v2 / OpenCost filter syntax `cluster:"<id>"`
// (https://docs.kubecost.com/apis/filters-api; OpenCost core/pkg/filter/allocation/parser.go);
// the settings refuse quotes in the id.
std::string HttpKubecostApi::filter_param() const {
  return m_cluster.empty() ? std::string()
                           : "&filter=" + url_encode("cluster:\"" + m_cluster + "\"");
}

// Both idle parameters on every request, whichever API: Kubecost reads `idle`, OpenCost's
// handlers read only `includeIdle` (opencost pkg/costmodel/aggregation.go,
// `qp.GetBool("includeIdle", false)`), and AWS's files always carry the `__idle__` rows.
std::string HttpKubecostApi::idle_params() const {
  return "&idle=true&includeIdle=true&splitIdle=true&idleByNode=true";
}

Expected<KubecostDays> HttpKubecostApi::days_with_data(std::int64_t first, std::int64_t last) {
  auto days = days_on_current_paths(first, last);
  // kubecostFlavor=auto, as serve mode's source (kubecost/kubecost_source.cpp): Kubecost's
  // /model/allocation first; a 404 there means OpenCost, whose API has no /model prefix
  // (opencost pkg/costmodel/router.go registers /allocation and /allocation/compute). Decided
  // once, on the run's first query, and kept for every later one.
  if (m_detect_flavour && !days.ok() && days.failure().http_status == 404) {
    m_opencost = true;
    log::info("kubecostFlavor=auto: /model/allocation answered 404, using OpenCost's paths",
              {{"path", allocation_path(false)}});
    days = days_on_current_paths(first, last);
  }
  m_detect_flavour = false;
  return days;
}

Expected<KubecostDays> HttpKubecostApi::days_on_current_paths(std::int64_t first,
                                                              std::int64_t last) {
  // Every cluster's days, not only this one's: a cluster id Kubecost does not know must be told
  // apart from a cluster without data.
  const std::string q =
      allocation_path(false) +
      "?window=" + url_encode(kubecost_window(first * k_day_seconds, (last + 1) * k_day_seconds)) +
      "&aggregate=cluster&step=1d&accumulate=false" + idle_params();
  std::map<std::string, std::set<std::int64_t>, std::less<>> by_cluster;
  const ParseOptions plain;
  auto parsed = stream_into(m_allocation_client, q, plain, [&](const ParsedAllocation& a) {
    if (std::isnan(a.window_start) || std::isnan(a.get(AllocField::total_cost))) return;
    std::string_view cluster = a.cluster.empty() ? a.name : a.cluster;
    // Kubecost's reserved names ("__idle__", "<cluster>/__idle__", "__unallocated__") are not
    // clusters; a cluster id may contain "__" itself.
    for (std::string_view reserved : {"__idle__", "__unallocated__"})
      if (cluster.ends_with(reserved)) cluster.remove_suffix(reserved.size());
    if (cluster.ends_with('/')) cluster.remove_suffix(1);
    if (cluster.empty()) return;
    by_cluster[std::string(cluster)].insert(
        static_cast<std::int64_t>(std::floor(a.window_start / k_day_seconds)));
  });
  if (!parsed.ok()) {
    log_as_aws(parsed.failure(), "Kubecost Allocation API");
    return of_query(parsed.failure(), allocation_path(false),
                    kubecost_window(first * k_day_seconds, (last + 1) * k_day_seconds));
  }
  KubecostDays out;
  if (m_cluster.empty()) {  // no cluster to check (no ARN): every day with data
    for (const auto& [cluster, days] : by_cluster) out.days.insert(days.begin(), days.end());
    return out;
  }
  if (by_cluster.empty() || by_cluster.count(m_cluster)) {
    if (auto it = by_cluster.find(m_cluster); it != by_cluster.end()) out.days = it->second;
    out.cluster = m_cluster;
    return out;
  }
  if (!m_cluster_explicit && by_cluster.size() == 1) {
    log::info(
        "Kubecost knows one cluster, not by the CLUSTER_ID name: exporting it "
        "(set KUBECOST_CLUSTER_ID to pin it)",
        {{"kubecost_cluster", by_cluster.begin()->first}, {"cluster_name", m_cluster}});
    m_cluster = by_cluster.begin()->first;
    out.days = by_cluster.begin()->second;
    out.cluster = m_cluster;
    return out;
  }
  std::string known;
  for (const auto& [cluster, days] : by_cluster)
    known += (known.empty() ? "\"" : ", \"") + cluster + "\"";
  return Failure{FailureReason::empty,
                 "Kubecost has no data for cluster \"" + m_cluster + "\" (" +
                     (m_cluster_explicit ? "KUBECOST_CLUSTER_ID" : "the CLUSTER_ID name") +
                     "), only for " + known +
                     ": set KUBECOST_CLUSTER_ID to Kubecost's id of this cluster"};
}

Expected<NodeFactsMap> HttpKubecostApi::node_facts(std::int64_t day) {
  const std::string window = kubecost_window(day * k_day_seconds, (day + 1) * k_day_seconds);
  const std::string q =
      m_opencost
          ? "/assets?window=" + url_encode(window) + "&filter=" + url_encode("assetType:\"node\"")
          : "/model/assets?window=" + url_encode(window) + "&filterTypes=Node&accumulate=true";
  auto r = m_assets_client.get(q);
  if (!r.ok()) {
    log_as_aws(r.failure(), "Kubecost Assets API");
    return of_query(r.failure(), m_opencost ? "/assets" : "/model/assets", window);
  }
  return parse_node_assets(r.value().body);
}

Expected<void> HttpKubecostApi::day_set(std::int64_t day, const AllocationVisitor& visit) {
  const std::int64_t start = day * k_day_seconds;
  return fetch_sets(false, {kubecost_window(start, start + k_day_seconds)}, visit);
}

Expected<void> HttpKubecostApi::hourly_sets(std::int64_t day, const AllocationVisitor& visit) {
  const std::int64_t start = day * k_day_seconds;
  // Pagination as in AWS's exporter (`step == "1h" and paginate`): 24 one-hour calls.
  std::vector<std::string> windows;
  if (m_query.paginate) {
    for (std::int64_t h = 0; h < 24; ++h)
      windows.push_back(kubecost_window(start + h * 3600, start + (h + 1) * 3600));
  } else {
    windows.push_back(kubecost_window(start, start + k_day_seconds));
  }
  return fetch_sets(true, windows, visit);
}

Expected<void> HttpKubecostApi::fetch_sets(bool on_demand, const std::vector<std::string>& windows,
                                           const AllocationVisitor& visit) {
  const std::string step =
      on_demand ? "&step=1h&resolution=" + url_encode(m_query.resolution) : std::string("&step=1d");
  const std::string aggregate = s3_export_aggregate(m_query.aggregation);
  for (const auto& w : windows) {
    const std::string q =
        allocation_path(on_demand) + "?window=" + url_encode(w) +
        (aggregate.empty() ? std::string() : "&aggregate=" + url_encode(aggregate)) + step +
        "&accumulate=false" + idle_params() + filter_param();
    auto parsed = stream_into(m_allocation_client, q, m_options, visit);
    if (!parsed.ok()) {
      log_as_aws(parsed.failure(),
                 on_demand ? "Kubecost Allocation On-Demand API" : "Kubecost Allocation API");
      return of_query(parsed.failure(), allocation_path(on_demand), w);
    }
  }
  return {};
}

// AWS's kubecost-s3-exporter's lines for a timeout, word for word, so that the troubleshooting
// guide of awslabs/containers-cost-allocation-dashboard (README.md "Troubleshooting": "A
// Connection Establishment Timeout", "An HTTP Server Response Timeout") still finds them; the
// texts are those of its main.py (execute_kubecost_allocation_api,
// execute_kubecost_assets_api: `except requests.exceptions.ConnectTimeout` / `ReadTimeout`).
void HttpKubecostApi::log_as_aws(const Failure& failure, const char* api) const {
  if (failure.timeout == TimeoutKind::connect) {
    log::error("Timed out waiting for TCP connection establishment in the given time (" +
                   python_seconds(m_connect_timeout) +
                   "s). Consider increasing the connection timeout value.",
               {{"api", api}, {"error", failure.message}});
  } else if (failure.timeout == TimeoutKind::idle) {
    const bool assets = std::string_view(api) == "Kubecost Assets API";
    log::error(
        "Timed out waiting for " + std::string(api) +
            " to send an HTTP response in the given time (" +
            python_seconds(assets ? m_query.assets_read_timeout : m_query.allocation_read_timeout) +
            "s). Consider increasing the read timeout value.",
        {{"api", api}, {"error", failure.message}});
  }
}

}  // namespace kci

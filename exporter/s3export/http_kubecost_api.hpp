#pragma once
// KubecostApi over HTTP (Kubecost's Allocation and Assets APIs:
// https://docs.kubecost.com/apis/monitoring-apis/api-allocation,
// https://docs.kubecost.com/apis/monitoring-apis/assets-api), flavour `auto` asked as Kubecost:
//  - day_set: the ETL store, Kubecost `/model/allocation` (OpenCost `/allocation`) with
//    `step=1d`: precomputed, reconciled daily sets for Kubecost's whole ETL retention.
//  - hourly_sets: the Allocation On-Demand API, Kubecost `/model/allocation/compute` (OpenCost
//    `/allocation/compute`), `step=1h&resolution=<KUBECOST_ALLOCATION_API_RESOLUTION>`, as AWS's
//    kubecost-s3-exporter did before it moved to the ETL API (awslabs/containers-cost-
//    allocation-dashboard main.py at c2019c7^, execute_kubecost_allocation_api): the ETL keeps
//    hourly sets only for kubecostModel.etlHourlyStoreDurationHours (49 h by default:
//    kubecost/cost-analyzer-helm-chart cost-analyzer/values.yaml), and On-Demand queries are
//    computed from Prometheus, so only inside its retention, and "do not use reconciled asset
//    costs" (the "Querying on-demand" section of the Allocation API page above).
// Both idle parameters on every request: `idle` (Kubecost) and `includeIdle` (OpenCost).
// A connect or read timeout is also logged with AWS's exporter's own line (log_as_aws).
// `accumulate=false`, idle split by node, aggregated as AWS's exporter asks (no `aggregate` for
// AGGREGATION=container, so rows keep Kubecost's own names cluster/node/namespace/pod/container;
// else `aggregate=<AGGREGATION>`: main.py execute_kubecost_allocation_api), `filter=cluster:"<id>"`
// (Kubecost v2 / OpenCost filter syntax, https://docs.kubecost.com/apis/filters-api); with
// pagination, as 24 one-hour windows. Node facts: Kubecost `/model/assets?filterTypes=Node`,
// OpenCost `/assets?filter=assetType:"node"`.
//
// Which API: kubecostFlavor kubecost or opencost as set; auto asks Kubecost's paths first and
// takes OpenCost's for the whole run when the first query (days_with_data) answers 404.
//
// Which cluster: KUBECOST_CLUSTER_ID when set. Else the CLUSTER_ID ARN's name, unless Kubecost
// knows it by another id: days_with_data asks for every cluster's days, and when Kubecost has
// exactly one cluster and it is not the ARN's name (Kubecost's default id is "cluster-one"), that
// one is exported, as AWS's exporter, which sends no filter, would; with several clusters and none
// of them this one, the run fails naming them, instead of exporting nothing with exit 0.
#include "exporter/http/http_client.hpp"
#include "exporter/http/kubecost_connection.hpp"
#include "exporter/s3export/kubecost_api.hpp"
#include "exporter/s3export/s3_export_query_options.hpp"

namespace kci {

// Kubecost's id of this cluster (its properties.cluster): KUBECOST_CLUSTER_ID, else the
// CLUSTER_ID ARN's cluster name ("" when neither is set).
std::string s3_export_kubecost_cluster(const KubecostConnection& connection,
                                       const S3ExportQueryOptions& query);

// The `aggregate` value for an AGGREGATION setting: "" (none) for "container", else the setting.
std::string s3_export_aggregate(const std::string& aggregation);

class HttpKubecostApi : public KubecostApi {
 public:
  // `connection` as app/s3_export_options.hpp's s3_export_connection gives it (with the CA file
  // set where there is one); `query` gives the per-request timeouts, the query shape and the
  // label/annotation keys.
  HttpKubecostApi(const KubecostConnection& connection, const S3ExportQueryOptions& query);

  Expected<KubecostDays> days_with_data(std::int64_t first, std::int64_t last) override;
  Expected<NodeFactsMap> node_facts(std::int64_t day) override;
  Expected<void> day_set(std::int64_t day, const AllocationVisitor& visit) override;
  Expected<void> hourly_sets(std::int64_t day, const AllocationVisitor& visit) override;

  // Thread-safe: aborts the request in flight; every later call fails at once.
  void cancel();

 private:
  Expected<KubecostDays> days_on_current_paths(std::int64_t first, std::int64_t last);
  std::string allocation_path(bool on_demand) const;
  Expected<void> fetch_sets(bool on_demand, const std::vector<std::string>& windows,
                            const AllocationVisitor& visit);
  void log_as_aws(const Failure& failure, const char* api) const;
  std::string idle_params() const;
  std::string filter_param() const;

  S3ExportQueryOptions m_query;
  bool m_opencost;
  bool m_detect_flavour;    // kubecostFlavor=auto until the first query has decided
  std::string m_cluster;    // the filter and the cluster every row must be of
  bool m_cluster_explicit;  // KUBECOST_CLUSTER_ID set: never replaced by Kubecost's only one
  std::chrono::milliseconds m_connect_timeout;  // CONNECTION_TIMEOUT, for AWS's log line
  ParseOptions m_options;
  HttpClient m_allocation_client;
  HttpClient m_assets_client;
};

}  // namespace kci

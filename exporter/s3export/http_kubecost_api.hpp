#pragma once
// KubecostApi over HTTP (reference/kubecost-api.md): Kubecost `/model/allocation` and
// `/model/assets?filterTypes=Node`, OpenCost `/allocation` and `/assets?filter=assetType:"node"`
// (flavour `auto` is asked as Kubecost). Allocations come `step=1h` (or `1d` with granularity
// daily), `accumulate=false`, idle split by node, aggregated as AGGREGATION asks with the node
// kept wherever pods are; with pagination, as 24 one-hour windows.
#include "exporter/config/config.hpp"
#include "exporter/http/http_client.hpp"
#include "exporter/s3export/kubecost_api.hpp"

namespace kci {

// The connection s3-export uses: kubecostUrl unless KUBECOST_API_ENDPOINT is set, its own
// connect timeout, and verification off when either setting turns it off.
KubecostConnection s3_export_connection(const Config& config);

// The `aggregate` value for an AGGREGATION setting ("container", "pod", ...; else "cluster").
std::string s3_export_aggregate(const std::string& aggregation);

class HttpKubecostApi : public KubecostApi {
 public:
  // `connection` as s3_export_connection gives it (with the CA file set where there is one);
  // `s3` gives the per-request timeouts, the query shape and the label/annotation keys.
  HttpKubecostApi(const KubecostConnection& connection, const S3ExportConfig& s3);

  Expected<std::set<std::int64_t>> days_with_data(std::int64_t first, std::int64_t last) override;
  Expected<NodeFactsMap> node_facts(std::int64_t day) override;
  Expected<void> allocations(std::int64_t day, const AllocationVisitor& visit) override;

  // Thread-safe: aborts the request in flight; every later call fails at once.
  void cancel();

 private:
  std::string allocation_path() const;
  std::string idle_params() const;

  S3ExportConfig m_s3;
  bool m_opencost;
  ParseOptions m_options;
  HttpClient m_allocation_client;
  HttpClient m_assets_client;
};

}  // namespace kci

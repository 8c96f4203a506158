#include "exporter/kubecost/kubecost_query.hpp"

#include "exporter/util/text_util.hpp"

namespace kci {

std::string url_encode(std::string_view value) { return percent_encode(value, false); }

namespace {

std::string request(const AllocationQueryOptions& options, Flavour flavour,
                    std::string_view aggregate) {
  const bool opencost = flavour == Flavour::opencost;
  std::string q = opencost ? "/allocation" : "/model/allocation";
  q += "?window=" + url_encode(options.window);
  // Encoded `,` is what every client sends; both servers decode it before splitting.
  q += "&aggregate=" + url_encode(aggregate);
  q += std::string("&accumulate=") + (options.accumulate ? "true" : "false");
  if (options.time_series) q += "&step=" + url_encode(options.step);
  // Both idle parameters, always, as kubectl-cost does: Kubecost reads `idle` (default true),
  // OpenCost reads only `includeIdle` (default false, OpenCost pkg/costmodel/aggregation.go
  // `qp.GetBool("includeIdle", false)`), and OpenCost behind its UI answers Kubecost's path.
  const char* idle = options.include_idle ? "true" : "false";
  q += std::string("&idle=") + idle + "&includeIdle=" + idle;
  // Kubecost's shareIdle is a boolean that splits idle by cost weight; "even" is not offered
  // by either API and is sent as weighted (a warning is logged at start-up).
  q += std::string("&shareIdle=") + (options.share_idle == "none" ? "false" : "true");
  // One idle allocation per cluster (`<cluster>/__idle__`) instead of one merged `__idle__`:
  // OpenCost core/pkg/opencost/allocation.go AggregateBy step (11) merges only without SplitIdle.
  if (options.multi_cluster) q += "&splitIdle=true";
  // Filter language v2 (https://docs.kubecost.com/apis/filters-api); the whole value
  // percent-encoded: an unencoded `+` decodes to a space, and OpenCost's filter parser then
  // ignores the rest of the filter (opencost/opencost#3371; core/pkg/filter/ast/lexer.go).
  if (!options.cluster_id.empty())
    q += "&filter=" + url_encode("cluster:\"" + options.cluster_id + "\"");
  return q;
}

}  // namespace

std::string allocation_request(const AllocationQueryOptions& options, Flavour flavour) {
  std::string aggregate = options.multi_cluster ? "cluster,namespace" : "namespace";
  if (options.pod_metrics) aggregate += ",pod";
  return request(options, flavour, aggregate);
}

std::string label_allocation_request(const AllocationQueryOptions& options, Flavour flavour,
                                     std::string_view label_key) {
  std::string aggregate = options.multi_cluster ? "cluster," : "";
  aggregate += "label:";
  aggregate += label_key;
  return request(options, flavour, aggregate);
}

}  // namespace kci

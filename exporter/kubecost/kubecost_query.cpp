#include "exporter/kubecost/kubecost_query.hpp"

#include "exporter/util/text_util.hpp"

namespace kci {

std::string url_encode(std::string_view value) { return percent_encode(value, false); }

namespace {

std::string request(const Config& config, Flavour flavour, std::string_view aggregate) {
  const bool opencost = flavour == Flavour::opencost;
  std::string q = opencost ? "/allocation" : "/model/allocation";
  q += "?window=" + url_encode(config.window.text);
  // Encoded `,` is what every client sends; both servers decode it before splitting.
  q += "&aggregate=" + url_encode(aggregate);
  q += std::string("&accumulate=") + (config.accumulate ? "true" : "false");
  if (config.time_series) q += "&step=" + url_encode(config.step);
  // Both idle parameters, always, as kubectl-cost does: Kubecost reads `idle` (default true),
  // OpenCost reads only `includeIdle` (default false, OpenCost pkg/costmodel/aggregation.go
  // `qp.GetBool("includeIdle", false)`), and OpenCost behind its UI answers Kubecost's path.
  const char* idle = config.include_idle ? "true" : "false";
  q += std::string("&idle=") + idle + "&includeIdle=" + idle;
  // Kubecost's shareIdle is a boolean that splits idle by cost weight; "even" is not offered
  // by either API and is sent as weighted (a warning is logged at start-up).
  q += std::string("&shareIdle=") + (config.share_idle == "none" ? "false" : "true");
  // One idle allocation per cluster (`<cluster>/__idle__`) instead of one merged `__idle__`:
  // OpenCost core/pkg/opencost/allocation.go AggregateBy step (11) merges only without SplitIdle.
  if (config.multi_cluster) q += "&splitIdle=true";
  // Filter language v2 (https://docs.kubecost.com/apis/filters-api); the whole value
  // percent-encoded: an unencoded `+` decodes to a space, and OpenCost's filter parser then
  // ignores the rest of the filter (opencost/opencost#3371; core/pkg/filter/ast/lexer.go).
  if (!config.kubecost.cluster_id.empty())
    q += "&filter=" + url_encode("cluster:\"" + config.kubecost.cluster_id + "\"");
  return q;
}

}  // namespace

std::string allocation_request(const Config& config, Flavour flavour) {
  std::string aggregate = config.multi_cluster ? "cluster,namespace" : "namespace";
  if (config.wants_pods()) aggregate += ",pod";
  return request(config, flavour, aggregate);
}

std::string label_allocation_request(const Config& config, Flavour flavour,
                                     std::string_view label_key) {
  std::string aggregate = config.multi_cluster ? "cluster," : "";
  aggregate += "label:";
  aggregate += label_key;
  return request(config, flavour, aggregate);
}

}  // namespace kci

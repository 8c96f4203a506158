#include "exporter/kubecost/kubecost_query.hpp"

#include "exporter/util/text_util.hpp"

namespace kci {

std::string url_encode(std::string_view value) { return percent_encode(value, false); }

std::string allocation_request(const Config& config, Flavour flavour) {
  const bool opencost = flavour == Flavour::opencost;
  std::string q = opencost ? "/allocation" : "/model/allocation";
  q += "?window=" + url_encode(config.window.text);
  // Encoded `,` is what every client sends; both servers decode it before splitting.
  q += "&aggregate=" + url_encode(config.wants_pods() ? "namespace,pod" : "namespace");
  q += std::string("&accumulate=") + (config.accumulate ? "true" : "false");
  if (config.time_series) q += "&step=" + url_encode(config.step);
  const char* idle = config.include_idle ? "true" : "false";
  q += (opencost ? "&includeIdle=" : "&idle=") + std::string(idle);
  // Kubecost's shareIdle is a boolean that splits idle by cost weight; "even" is not offered
  // by either API and is sent as weighted (a warning is logged at start-up).
  q += std::string("&shareIdle=") + (config.share_idle == "none" ? "false" : "true");
  return q;
}

}  // namespace kci

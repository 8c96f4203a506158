#include "exporter/kubecost_query.hpp"

namespace kci {

std::string url_encode(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

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

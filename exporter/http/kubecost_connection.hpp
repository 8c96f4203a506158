#pragma once
// How to reach Kubecost (or OpenCost): the HTTP endpoint, which API flavour answers there, and
// Kubecost's id of this cluster. Plain data shared by every mode that talks to Kubecost; config/
// fills it from the settings (kubecostUrl, kubecostFlavour, kubecostClusterId, ...).
#include <string>

#include "exporter/http/http_endpoint.hpp"

namespace kci {

// Which Allocation API answers at the URL: Kubecost's `/model/allocation`, OpenCost's
// `/allocation`, or `auto_detect` (Kubecost's path first, OpenCost's on 404).
enum class Flavour { auto_detect, kubecost, opencost };

struct KubecostConnection : HttpEndpoint {
  KubecostConnection() { url = "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090"; }
  Flavour flavour = Flavour::kubecost;
  // kubecostClusterId / KUBECOST_CLUSTER_ID: Kubecost's id of this cluster (properties.cluster),
  // sent as filter=cluster:"<id>". "" = serve: every cluster Kubecost answers for; s3-export:
  // the CLUSTER_ID ARN's cluster name.
  std::string cluster_id;
};

}  // namespace kci

#pragma once
// The Allocation API request for each flavour (reference/kubecost-api.md §1, §2):
// Kubecost `{url}/model/allocation` (idle=, shareIdle=), OpenCost `{url}/allocation`
// (includeIdle=, shareIdle=).
#include <string>

#include "exporter/config/config.hpp"

namespace kci {

// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
std::string url_encode(std::string_view value);

// Path and query for one poll. Pods wanted => `aggregate=namespace,pod` (one call per poll).
std::string allocation_request(const Config& config, Flavour flavour);

}  // namespace kci

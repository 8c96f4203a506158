#pragma once
// The Allocation API request for each flavour: Kubecost `{url}/model/allocation`
// (https://docs.kubecost.com/apis/monitoring-apis/api-allocation), OpenCost `{url}/allocation`
// (opencost/opencost pkg/cmd/costmodel/costmodel.go routes it to ComputeAllocationHandler in
// pkg/costmodel/aggregation.go). Both get `idle=` (Kubecost's parameter) and `includeIdle=`
// (the one OpenCost's handler reads), `shareIdle=`, and with the settings `splitIdle=true`
// (multiCluster) and `filter=cluster:"<id>"` (kubecostClusterId).
#include <string>
#include <string_view>

#include "exporter/http/kubecost_connection.hpp"
#include "exporter/kubecost/allocation_query_options.hpp"

namespace kci {

// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
std::string url_encode(std::string_view value);

// Path and query for one poll: `aggregate=namespace`, `namespace,pod` when pods are wanted,
// prefixed by `cluster,` with multiCluster (one call per poll).
std::string allocation_request(const AllocationQueryOptions& options, Flavour flavour);

// The same window and idle parameters with `aggregate=label:<key>` (`cluster,label:<key>` with
// multiCluster): one call per labelKeys entry, for the label cost families.
std::string label_allocation_request(const AllocationQueryOptions& options, Flavour flavour,
                                     std::string_view label_key);

}  // namespace kci

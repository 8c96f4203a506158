#pragma once
// Node facts from the Assets API (Kubecost `/model/assets?filterTypes=Node`: `data` is an array
// of maps, https://docs.kubecost.com/apis/monitoring-apis/assets-api; OpenCost `/assets`: `data`
// is one map, opencost/opencost pkg/costmodel/handlers.go), for joining onto allocations by
// (cluster, node). Labels are read in both spellings, `X` and the older `label_X`: the Assets
// API page's sample still shows raw `label_*` keys, which OpenCost replaced by sanitised keys
// without the prefix in December 2023 (opencost/opencost commit 3972808f, "sanitize asset
// labels", pkg/costmodel/cluster_helpers.go).
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exporter/util/result.hpp"

namespace kci {

struct NodeFacts {
  std::string provider;
  std::string instance_type;
  std::string availability_zone;
  std::string region;
  std::string capacity_type;  // the label's value: ON_DEMAND, SPOT, on-demand, spot; or ""
  std::string architecture;
  std::string os;
  std::string nodegroup;
  std::string nodegroup_image;
};

using NodeKey = std::pair<std::string, std::string>;  // (cluster, node name)
using NodeFactsMap = std::map<NodeKey, NodeFacts>;

// The node labels Kubecost copies onto allocations (its allocation.nodeLabels includeList),
// in Kubecost's sanitised spelling: the ones AWS's exporter reads from the allocations
// (main.py kubecost_allocation_data_to_parquet), plus karpenter_sh_nodepool.
const std::vector<std::string>& node_label_keys();
// The node facts of those labels' values (aligned with node_label_keys(); "" = absent): for an
// allocation whose node the Assets API did not give, as AWS's exporter takes them.
NodeFacts node_facts_from_labels(std::span<const std::string_view> values);

// Assets other than nodes are skipped. Fails (reason parse/http_status) like parse_allocations;
// an answer without nodes is not an error (the join then leaves node columns NULL).
Expected<NodeFactsMap> parse_node_assets(const std::string& body);

}  // namespace kci

#pragma once
// Node facts from the Assets API (Kubecost `/model/assets?filterTypes=Node`: `data` is an array
// of maps; OpenCost `/assets`: `data` is one map), for joining onto allocations by
// (cluster, node). Labels are read in both spellings, `X` and the older `label_X`
// (reference/kubecost-api.md §5, §7).
#include <map>
#include <string>
#include <utility>

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

// Assets other than nodes are skipped. Fails (reason parse/http_status) like parse_allocations;
// an answer without nodes is not an error (the join then leaves node columns NULL).
Expected<NodeFactsMap> parse_node_assets(const std::string& body);

}  // namespace kci

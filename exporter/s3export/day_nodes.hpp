#pragma once
// The node facts of each row of a day, worked out once per node, not once per row: from the
// Assets API's answer when it has the row's (cluster, node), else from the node's labels that
// Kubecost copies onto the allocation (as AWS's exporter reads them), recomputed only when a
// row of that node carries other label values than the last one did. Rows without those labels
// (idle rows) get no node facts, as in AWS's files.
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/assets_parser.hpp"

namespace kci {

class DayNodes {
 public:
  // `assets` must outlive this; `own_label_keys` is how many configured label values come
  // before the node labels in an allocation's label_values (kubecost_api.hpp).
  DayNodes(const NodeFactsMap& assets, std::size_t own_label_keys);

  // The facts for row `a`; valid until the next call.
  const NodeFacts& of(const ParsedAllocation& a);

 private:
  struct FromLabels {
    std::vector<std::string> values;  // the label values the facts were made from
    NodeFacts facts;
  };
  std::unordered_map<std::string, const NodeFacts*> m_assets;  // "<cluster>\0<node>"
  std::unordered_map<std::string, FromLabels> m_from_labels;
  std::size_t m_own;
  std::string m_key;  // reused: no allocation per row
  const NodeFacts m_unknown;
};

}  // namespace kci

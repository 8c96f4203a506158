#include "exporter/s3export/day_nodes.hpp"

#include <algorithm>
#include <span>

namespace kci {

DayNodes::DayNodes(const NodeFactsMap& assets, std::size_t own_label_keys) : m_own(own_label_keys) {
  for (const auto& [key, facts] : assets) m_assets.emplace(key.first + '\0' + key.second, &facts);
}

const NodeFacts& DayNodes::of(const ParsedAllocation& a) {
  m_key.assign(a.cluster);
  m_key.push_back('\0');
  m_key.append(a.node);
  if (auto it = m_assets.find(m_key); it != m_assets.end()) return *it->second;
  const auto* labels = a.label_values;
  if (!labels || labels->size() <= m_own) return m_unknown;
  const auto values = std::span(*labels).subspan(m_own);
  FromLabels& slot = m_from_labels[m_key];
  if (!std::equal(values.begin(), values.end(), slot.values.begin(), slot.values.end())) {
    slot.values.assign(values.begin(), values.end());
    slot.facts = node_facts_from_labels(values);
  }
  return slot.facts;
}

}  // namespace kci

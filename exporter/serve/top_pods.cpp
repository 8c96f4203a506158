#include "exporter/serve/top_pods.hpp"

#include <algorithm>
#include <cmath>

namespace kci {
namespace {

double ranking_total(const CostAccumulator& acc) {
  const double v = acc.cost_of(CostFamily::total);
  return std::isnan(v) ? -INFINITY : v;
}

}  // namespace

TopPods::TopPods(std::size_t keep, std::size_t capacity)
    : m_keep(keep), m_capacity(std::max(keep, capacity)) {}

bool TopPods::ranks_above(std::size_t a, std::size_t b) const {
  const Slot& x = m_slots[a];
  const Slot& y = m_slots[b];
  if (x.total != y.total) return x.total > y.total;
  return x.seq < y.seq;
}

void TopPods::restore_heap() {
  if (m_heap_valid) return;
  std::make_heap(m_heap.begin(), m_heap.end(),
                 [this](std::size_t a, std::size_t b) { return ranks_above(a, b); });
  m_heap_valid = true;
}

CostAccumulator& TopPods::remainder(std::size_t ns_index) {
  if (ns_index >= m_remainders.size()) m_remainders.resize(ns_index + 1);
  return m_remainders[ns_index];
}

void TopPods::evict_worst() {
  restore_heap();
  std::pop_heap(m_heap.begin(), m_heap.end(),
                [this](std::size_t a, std::size_t b) { return ranks_above(a, b); });
  const std::size_t id = m_heap.back();
  m_heap.pop_back();
  Slot& worst = m_slots[id];
  remainder(worst.ns_index).merge(worst.row.acc);
  m_evicted_key.assign(worst.row.cluster).append(1, '\0').append(worst.row.namespace_name);
  m_evicted_key.append("/").append(worst.row.pod);
  m_index.erase(m_evicted_key);
  m_free.push_back(id);
}

void TopPods::add(std::size_t ns_index, std::string_view cluster, std::string_view ns,
                  std::string_view pod, const ParsedAllocation& a) {
  if (m_keep == 0) {
    remainder(ns_index).add(a);
    return;
  }
  CostAccumulator acc;
  acc.add(a);
  const double total = ranking_total(acc);
  // Full (one set: each pod comes once, so nothing held can be this pod): a pod not above the
  // lowest kept one (a later pod loses ties) goes straight into the remainder, before any key is
  // built or hashed. Most pods of a large cluster end here.
  if (m_heap.size() >= m_capacity) {
    restore_heap();
    if (!(total > m_slots[m_heap.front()].total)) {
      remainder(ns_index).merge(acc);
      return;
    }
  }
  m_key.assign(cluster).append(1, '\0').append(ns).append("/").append(pod);
  if (auto it = m_index.find(m_key); it != m_index.end()) {
    Slot& slot = m_slots[it->second];
    slot.row.acc.add(a);
    slot.total = ranking_total(slot.row.acc);
    m_heap_valid = false;
    return;
  }
  const std::size_t seq = m_seq++;
  if (m_heap.size() >= m_capacity) evict_worst();
  std::size_t id = 0;
  if (!m_free.empty()) {
    id = m_free.back();
    m_free.pop_back();
  } else {
    id = m_slots.size();
    m_slots.emplace_back();
  }
  Slot& slot = m_slots[id];
  slot.row.cluster.assign(cluster);
  slot.row.namespace_name.assign(ns);
  slot.row.pod.assign(pod);
  if (a.label_values) {
    slot.row.labels.assign(a.label_values->begin(), a.label_values->end());
  } else {
    slot.row.labels.clear();
  }
  slot.row.acc = acc;
  slot.ns_index = ns_index;
  slot.seq = seq;
  slot.total = total;
  m_index.emplace(m_key, id);
  m_heap.push_back(id);
  if (m_heap_valid)
    std::push_heap(m_heap.begin(), m_heap.end(),
                   [this](std::size_t x, std::size_t y) { return ranks_above(x, y); });
}

std::vector<CostRow> TopPods::finish(const std::vector<CostRow>& namespaces) && {
  while (m_heap.size() > m_keep) evict_worst();
  std::vector<CostRow> rows;
  rows.reserve(m_heap.size() + namespaces.size());
  for (std::size_t id : m_heap) rows.push_back(std::move(m_slots[id].row));
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    CostRow other{namespaces[i].cluster, namespaces[i].namespace_name, "__other__",
                  namespaces[i].labels,
                  i < m_remainders.size() ? m_remainders[i] : CostAccumulator{}};
    // The remainder exists for every cost family the namespace has, even when it is 0.
    for (std::size_t f = 0; f < k_cost_family_count; ++f)
      other.acc.has_cost[f] |= namespaces[i].acc.has_cost[f];
    rows.push_back(std::move(other));
  }
  return rows;
}

}  // namespace kci

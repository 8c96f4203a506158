#pragma once
// The pod part of a snapshot in bounded memory: the `keep` pods with the highest total cost, and
// one `__other__` remainder per namespace holding every other pod's costs.
//
// With `capacity == keep` (one set per answer, so a pod's costs arrive at once) at most `keep`
// pods are held while the answer streams: a pod that cannot be in the top goes straight into its
// namespace's remainder (compared by its total before its key is built or looked up), and a pod
// pushed out of the top joins its remainder then. With a larger
// capacity (answers of several sets, where a pod comes back in later sets), up to `capacity`
// pods are merged by name and the cut happens at finish(), so the choice is exact.
// Invariant, per cost family: sum(kept pods of ns) + __other__(ns) == sum of the pods added to ns.
// Ties keep the pod seen first. A pod pushed out and seen again (only a malformed answer repeats
// a key within a set) starts over: never two rows with the same name.
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exporter/serve/cost_row.hpp"

namespace kci {

class TopPods {
 public:
  TopPods(std::size_t keep, std::size_t capacity);

  // `ns_index` identifies the (cluster, namespace) row: an index into the rows given to finish().
  void add(std::size_t ns_index, std::string_view cluster, std::string_view ns,
           std::string_view pod, const ParsedAllocation& a);

  // The kept pods and an `__other__` row for every namespace row (its labels, and every cost
  // family the namespace has, even when the remainder is 0), in no particular order.
  std::vector<CostRow> finish(const std::vector<CostRow>& namespaces) &&;

  std::size_t held() const { return m_slots.size(); }

 private:
  struct Slot {
    CostRow row;
    std::size_t ns_index = 0;
    std::size_t seq = 0;  // arrival order, the tie-break
    double total = 0;     // -inf when the pod has no total cost
  };
  // True when slot `a` ranks above slot `b` (higher total, then seen first).
  bool ranks_above(std::size_t a, std::size_t b) const;
  void restore_heap();
  void evict_worst();
  CostAccumulator& remainder(std::size_t ns_index);

  std::size_t m_keep;
  std::size_t m_capacity;
  std::size_t m_seq = 0;
  std::vector<Slot> m_slots;
  std::vector<std::size_t> m_heap;  // slot ids, the lowest-ranked pod at the front
  std::vector<std::size_t> m_free;  // slots whose pod was pushed out, for reuse
  bool m_heap_valid = true;         // false after a kept pod's total changed
  std::unordered_map<std::string, std::size_t> m_index;  // "cluster\0ns/pod" -> slot id
  std::vector<CostAccumulator> m_remainders;             // per namespace index
  std::string m_key, m_evicted_key;                      // scratch, reused
};

}  // namespace kci

#pragma once
// What s3-export asks Kubecost/OpenCost, one UTC day at a time: which days have data, a day's
// node facts and a day's allocations from either of Kubecost's sources. HttpKubecostApi is the
// real one; tests use in-memory fakes.
#include <cstdint>
#include <set>
#include <string>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/assets_parser.hpp"
#include "exporter/util/result.hpp"

namespace kci {

struct KubecostDays {
  std::set<std::int64_t> days;  // the days with a set of a total cost for `cluster`
  std::string cluster;          // Kubecost's id of the cluster exported ("" = not checked)
};

class KubecostApi {
 public:
  virtual ~KubecostApi() = default;

  // The days of first..last (inclusive) for which Kubecost has a set with a total cost of this
  // cluster, and Kubecost's id of it, which the later calls use and every row must carry.
  virtual Expected<KubecostDays> days_with_data(std::int64_t first, std::int64_t last) = 0;
  // The day's node facts, keyed (cluster, node), for joining onto its allocations.
  virtual Expected<NodeFactsMap> node_facts(std::int64_t day) = 0;
  // Kubecost's two sources of a day's allocations. Both hand each allocation to `visit`, in
  // Kubecost's order; views are valid only during the call. label_values / annotation_values hold
  // one entry per configured label / annotation key, in the configured order; label_values may
  // go on with one entry per node_label_keys() (assets_parser.hpp): the node's labels, for a
  // node the Assets API lacks. A day without allocations succeeds with no visit.
  //
  // The ETL store's day (Kubecost `/model/allocation`, `step=1d`): one set for the whole day,
  // for Kubecost's whole ETL retention, with the reconciled `*CostAdjustment` figures.
  virtual Expected<void> day_set(std::int64_t day, const AllocationVisitor& visit) = 0;
  // The On-Demand API's hours of the day (Kubecost `/model/allocation/compute`, `step=1h`):
  // computed from Prometheus, so only the hours inside its retention, and never adjusted.
  virtual Expected<void> hourly_sets(std::int64_t day, const AllocationVisitor& visit) = 0;
};

}  // namespace kci

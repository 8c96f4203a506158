#pragma once
// A synthetic cluster answering like Kubecost's Allocation API: namespaces with labelled
// pods, idle, an __unmounted__ volume, a few `null` efficiencies. Used by --demo, the tests
// and the benchmarks; the same bytes go through the real parser and snapshot path.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/kubecost/allocation_query_options.hpp"
#include "exporter/kubecost/allocation_source.hpp"

namespace kci {

struct DemoOptions {
  std::size_t namespaces = 40;
  std::size_t pods = 400;
  std::uint64_t seed = 1;
  bool pod_level = true;  // keys "ns/pod" (aggregate=namespace,pod) or per namespace
  double window_start = 1'700'000'000;
  double window_end = 1'700'003'600;
};

std::string demo_allocation_response(const DemoOptions& options);

// Serves a fresh demo response for the last hour on every fetch: `pods` pods (demoPods) in
// pods / 10 namespaces, keyed per pod when `query` wants pod series, else per namespace.
class DemoSource : public AllocationSource {
 public:
  DemoSource(const AllocationQueryOptions& query, int pods);
  Expected<void> fetch(BodySink& sink) override;

 private:
  bool m_pod_level;
  int m_pods;
  std::uint64_t m_polls = 0;
};

}  // namespace kci

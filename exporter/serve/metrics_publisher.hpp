#pragma once
// The one place the poller hands finished, immutable exposition bytes to the HTTP server.
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "exporter/serve/cost_exposition.hpp"

namespace kci {

struct Published {
  // The cost series of the last good poll (shared with the poller, never copied; null when none
  // or stale). /metrics serves them followed by the self metrics rendered at that request
  // (SelfMetrics::render_live).
  std::shared_ptr<const CostExposition> costs;
  bool ready = false;  // fresh cost data is being served
  bool last_poll_ok = false;
  std::string last_error;  // one line, "" after a good poll; secrets redacted by the client
  // The FailureReason label of the last failed poll ("" after a good one): all of the failure
  // the unauthenticated /readyz shows.
  std::string last_failure_reason;
  double last_success_timestamp = 0;
  std::size_t cost_series = 0;
  std::vector<std::pair<std::string, double>> top_namespaces;  // by cost, as exported
  // Leader election (leaderElection.enabled): whether this replica leads, the Lease holder as
  // last observed and our identity. Without election `leading` is true.
  bool election = false;
  bool leading = true;
  std::string leader_identity;
  std::string identity;
};

class MetricsPublisher {
 public:
  MetricsPublisher();
  void publish(std::shared_ptr<const Published> next);
  std::shared_ptr<const Published> current() const;

 private:
  mutable std::mutex m_mutex;
  std::shared_ptr<const Published> m_current;
};

}  // namespace kci

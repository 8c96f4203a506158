#pragma once
// When the poller polls and how long it keeps the last good cost series (poller.hpp). Plain
// data; app/ builds it once from the settings. The defaults are the settings' defaults.
#include <chrono>

namespace kci {

struct PollerOptions {
  std::chrono::milliseconds scrape_interval{120'000};   // scrapeInterval: between two polls
  std::chrono::milliseconds scrape_jitter_max{10'000};  // scrapeJitterMax: random extra wait
  // maxStaleness: how long the last good cost series outlive failed polls; 0 = three scrape
  // intervals (effective_max_staleness).
  std::chrono::milliseconds max_staleness{0};
  // leaderElection.enabled: only the leader polls (set_leadership); else the poller always leads.
  bool leader_election = false;

  std::chrono::milliseconds effective_max_staleness() const {
    return max_staleness.count() > 0 ? max_staleness : 3 * scrape_interval;
  }
};

}  // namespace kci

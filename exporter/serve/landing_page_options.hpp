#pragma once
// What the landing page at `/` shows of the settings (http_router.hpp). Plain data; app/ builds
// it once from the settings. The defaults are the settings' defaults.
#include <string>

#include "exporter/config/metric_mode.hpp"

namespace kci {

struct LandingPageOptions {
  std::string cluster_name = "kubernetes";  // clusterName
  // kubecostUrl as configured; the page shows it with its credentials redacted.
  std::string kubecost_url = "http://kubecost-cost-analyzer.kubecost.svc.cluster.local:9090";
  bool demo = false;                          // demo: the page says "(demo data)"
  std::string currency = "USD";               // currency: the top namespaces' unit
  MetricMode metric_mode = MetricMode::rate;  // "per hour" (rate) or "in window" (total)
};

}  // namespace kci

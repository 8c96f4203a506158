#pragma once
// The one text writer for the exporter's own metrics (serve mode's health families and
// s3-export's Pushgateway body): prometheus-cpp's Registry rendered by its TextSerializer.
// Cost series are not written here: they are pre-rendered by serve/exposition (the
// kube-state-metrics split: high-cardinality bytes by hand, self-telemetry by the library).
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace prometheus {
class Registry;
}

namespace kci {

// Text format 0.0.4 of every family in `registry`, in prometheus-cpp's order.
std::string serialize_text(const prometheus::Registry& registry);

// The same of `registry` followed by `more` (families collected outside it, e.g. process_*).
std::string serialize_text(const prometheus::Registry& registry,
                           std::vector<prometheus::MetricFamily> more);

}  // namespace kci

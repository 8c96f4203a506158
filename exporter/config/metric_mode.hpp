#pragma once
// metricMode: what the cost series are. A header of its own so that serve/ can read the setting
// without config.hpp.
namespace kci {

// rate: each window total divided by the hours the data covers (cost per hour);
// total: the window totals as Kubecost answers them.
enum class MetricMode { rate, total };

}  // namespace kci

#pragma once
// The run's result pushed to a Prometheus Pushgateway (PUT, so the group holds only this run's
// values) under job "kubecost_s3_exporter" and the cluster name, for alerting on a CronJob that
// stopped succeeding. The body is written by prometheus-cpp (telemetry/text_serializer).
#include <string>

#include "exporter/s3export/run_report.hpp"

namespace kci {

// Text format 0.0.4: the gauges cloudtuner_kubecost_s3_export_{last_success_timestamp_seconds
// (only when the run succeeded), days_written, rows_written, days_failed}.
std::string pushgateway_body(const RunReport& report);

// Where to PUT for `pushgateway_url` ("http(s)://host[:port][/prefix]"): the scheme-host-port
// part and "<prefix>/metrics/job/kubecost_s3_exporter/cluster/<percent-encoded cluster>".
struct PushTarget {
  std::string base_url;
  std::string path;
};
PushTarget push_target(const std::string& pushgateway_url, const std::string& cluster_name);

class Pushgateway : public RunReporter {
 public:
  // An empty URL pushes nothing.
  Pushgateway(std::string url, std::string cluster_name);
  // Connect timeout 5 s, read timeout 10 s; a failed push is a warning, never a failed run.
  void report(const RunReport& report) override;

 private:
  std::string m_url;
  std::string m_cluster_name;
};

}  // namespace kci

#include "exporter/s3export/pushgateway.hpp"

#include <httplib.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "exporter/aws/sigv4.hpp"
#include "exporter/telemetry/text_serializer.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

void gauge(prometheus::Registry& registry, const char* name, const char* help, double value) {
  prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({}).Set(value);
}

}  // namespace

std::string pushgateway_body(const RunReport& report) {
  prometheus::Registry registry;
  if (report.succeeded)
    gauge(registry, "cloudtuner_kubecost_s3_export_last_success_timestamp_seconds",
          "Unix time of the last s3-export run that succeeded.",
          static_cast<double>(report.finished_at));
  gauge(registry, "cloudtuner_kubecost_s3_export_days_written",
        "Cluster-days uploaded by the last run.", static_cast<double>(report.days_written));
  gauge(registry, "cloudtuner_kubecost_s3_export_rows_written", "Rows uploaded by the last run.",
        static_cast<double>(report.rows_written));
  gauge(registry, "cloudtuner_kubecost_s3_export_days_failed",
        "Cluster-days that failed in the last run.", static_cast<double>(report.days_failed));
  gauge(registry, "cloudtuner_kubecost_s3_export_assets_failures",
        "Cluster-days of the last run exported while the Assets API failed (node columns only "
        "from the node labels on the allocations).",
        static_cast<double>(report.assets_failures));
  return serialize_text(registry);
}

PushTarget push_target(const std::string& pushgateway_url, const std::string& cluster_name) {
  const auto path_start = pushgateway_url.find('/', pushgateway_url.find("://") + 3);
  PushTarget t;
  t.base_url = pushgateway_url.substr(0, path_start);
  t.path = (path_start == std::string::npos ? "" : pushgateway_url.substr(path_start)) +
           "/metrics/job/kubecost_s3_exporter/cluster/" + aws::uri_encode(cluster_name, true);
  return t;
}

Pushgateway::Pushgateway(std::string url, std::string cluster_name)
    : m_url(std::move(url)), m_cluster_name(std::move(cluster_name)) {}

void Pushgateway::report(const RunReport& report) {
  if (m_url.empty()) return;
  const PushTarget target = push_target(m_url, m_cluster_name);
  httplib::Client http(target.base_url);
  http.set_connection_timeout(5);
  http.set_read_timeout(10);
  auto r = http.Put(target.path, pushgateway_body(report), "text/plain; version=0.0.4");
  if (!r || r->status / 100 != 2)
    log::warn("pushgateway push failed",
              {{"url", redact_url(m_url)},
               {"status", r ? std::to_string(r->status) : httplib::to_string(r.error())}});
}

}  // namespace kci

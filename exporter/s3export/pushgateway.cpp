#include "exporter/s3export/pushgateway.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "exporter/aws/sigv4.hpp"
#include "exporter/http/http_client.hpp"
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
  gauge(registry, "cloudtuner_kubecost_s3_export_days_daily_fallback",
        "Cluster-days of the last run exported from Kubecost's ETL daily sets because the "
        "On-Demand API could not answer their hours whole (GRANULARITY=hourly).",
        static_cast<double>(report.days_daily_fallback));
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
  HttpEndpoint endpoint;
  endpoint.url = target.base_url;
  endpoint.connect_timeout = std::chrono::seconds(5);
  endpoint.request_timeout = std::chrono::seconds(10);
  endpoint.request_timeout_name = "the Pushgateway timeout (10s)";
  endpoint.retries = 0;
  endpoint.max_response_bytes = 64 * 1024;  // the Pushgateway answers with an empty body
  endpoint.size_setting = "the Pushgateway answer cap";
  HttpClient http(endpoint);
  auto r = http.send("PUT", target.path, pushgateway_body(report), "text/plain; version=0.0.4");
  if (r.ok()) return;
  const Failure& f = r.failure();
  log::warn("pushgateway push failed",
            {{"url", redact_url(m_url)},
             {"status", f.http_status != 0 ? std::to_string(f.http_status) : "none"},
             {"reason", std::string(to_string(f.reason))},
             {"error", f.message}});
}

}  // namespace kci

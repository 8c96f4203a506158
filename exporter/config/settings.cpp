#include "exporter/config/settings.hpp"

#include <algorithm>
#include <cctype>

#include "exporter/config/cluster_arn.hpp"
#include "exporter/config/value_parsers.hpp"
#include "exporter/util/durations.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

std::string show_bool(bool b) { return b ? "true" : "false"; }

// RFC 1123 label: 1-63 of a-z 0-9 '-', alphanumeric at both ends (Kubernetes namespaces).
bool dns_label(const std::string& v) {
  if (v.empty() || v.size() > 63 || v.front() == '-' || v.back() == '-') return false;
  return std::all_of(v.begin(), v.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

// RFC 1123 subdomain: dot-separated labels, at most 253 characters (Kubernetes object names).
bool dns_subdomain(const std::string& v) {
  if (v.empty() || v.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = v.find('.', start);
    if (!dns_label(v.substr(start, dot - start))) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

const std::vector<Setting>& settings() {
  using std::chrono::milliseconds;
  static const std::vector<Setting> table = {
      {"kubecostUrl", "KUBECOST_URL", "kubecost.url",
       [](Config& c, auto& k, auto& v) { c.kubecost.url = http_url_without_userinfo(k, v); },
       [](const Config& c) { return redact_url(c.kubecost.url); }},
      {"kubecostFlavor", "KUBECOST_FLAVOR", "kubecost.flavor",
       [](Config& c, auto& k, auto& v) {
         auto f = one_of(k, v, {"kubecost", "opencost", "auto"});
         c.kubecost.flavour = f == "kubecost"   ? Flavour::kubecost
                              : f == "opencost" ? Flavour::opencost
                                                : Flavour::auto_detect;
       },
       [](const Config& c) {
         return std::string(c.kubecost.flavour == Flavour::kubecost   ? "kubecost"
                            : c.kubecost.flavour == Flavour::opencost ? "opencost"
                                                                      : "auto");
       }},
      {"kubecostClusterId", "KUBECOST_CLUSTER_ID", "kubecost.cluster-id",
       [](Config& c, auto& k, auto& v) {
         for (char ch : v)
           if (ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20)
             bad_value(k, v,
                       "a cluster id must not contain quotes, backslashes or control "
                       "characters");
         c.kubecost.cluster_id = v;
       },
       [](const Config& c) { return c.kubecost.cluster_id; }},
      {"multiCluster", "MULTI_CLUSTER", "kubecost.multi-cluster",
       [](Config& c, auto& k, auto& v) { c.multi_cluster = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.multi_cluster); }},
      {"kubecostConnectTimeout", "KUBECOST_CONNECT_TIMEOUT", "kubecost.connect-timeout",
       [](Config& c, auto& k, auto& v) {
         c.kubecost.connect_timeout = parse_duration_at_least(k, v, milliseconds(100));
       },
       [](const Config& c) { return format_duration(c.kubecost.connect_timeout); }},
      {"kubecostTimeout", "KUBECOST_TIMEOUT", "kubecost.timeout",
       [](Config& c, auto& k, auto& v) {
         c.kubecost.request_timeout = parse_duration_at_least(k, v, milliseconds(100));
       },
       [](const Config& c) { return format_duration(c.kubecost.request_timeout); }},
      {"kubecostRetries", "KUBECOST_RETRIES", "kubecost.retries",
       [](Config& c, auto& k, auto& v) { c.kubecost.retries = parse_int_in(k, v, 0, 10); },
       [](const Config& c) { return std::to_string(c.kubecost.retries); }},
      {"kubecostCaFile", "KUBECOST_CA_FILE", "kubecost.ca-file",
       [](Config& c, auto&, auto& v) { c.kubecost.ca_file = v; },
       [](const Config& c) { return c.kubecost.ca_file; }},
      {"kubecostInsecureSkipVerify", "KUBECOST_INSECURE_SKIP_VERIFY",
       "kubecost.insecure-skip-verify",
       [](Config& c, auto& k, auto& v) { c.kubecost.insecure_skip_verify = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.kubecost.insecure_skip_verify); }},
      {"kubecostBearerTokenFile", "KUBECOST_BEARER_TOKEN_FILE", "kubecost.bearer-token-file",
       [](Config& c, auto&, auto& v) { c.kubecost.bearer_token_file = v; },
       [](const Config& c) { return c.kubecost.bearer_token_file; }},
      // Behind an ingress (request_credentials.hpp): checked by load_config, re-read per request.
      {"kubecostHeadersFile", "KUBECOST_HEADERS_FILE", "kubecost.headers-file",
       [](Config& c, auto&, auto& v) { c.kubecost.headers_file = v; },
       [](const Config& c) { return c.kubecost.headers_file; }},
      {"kubecostBasicAuthUsername", "KUBECOST_BASIC_AUTH_USERNAME", "kubecost.basic-auth-username",
       [](Config& c, auto& k, auto& v) {
         if (!v.empty()) check_basic_auth_username(k, v);
         c.kubecost.basic_auth_username = v;
       },
       [](const Config& c) { return c.kubecost.basic_auth_username; }},
      {"kubecostBasicAuthPasswordFile", "KUBECOST_BASIC_AUTH_PASSWORD_FILE",
       "kubecost.basic-auth-password-file",
       [](Config& c, auto&, auto& v) { c.kubecost.basic_auth_password_file = v; },
       [](const Config& c) { return c.kubecost.basic_auth_password_file; }},
      {"kubecostMaxResponseBytes", "KUBECOST_MAX_RESPONSE_BYTES", "kubecost.max-response-bytes",
       [](Config& c, auto& k, auto& v) {
         c.kubecost.max_response_bytes = parse_int_in(k, v, 1024, 1LL << 40);
       },
       [](const Config& c) { return std::to_string(c.kubecost.max_response_bytes); }},
      {"listenAddress", "WEB_LISTEN_ADDRESS", "web.listen-address",
       [](Config& c, auto& k, auto& v) { c.listen_address = host_port(k, v); },
       [](const Config& c) { return c.listen_address; }},
      {"port", "EXPORTER_PORT", "",
       [](Config& c, auto& k, auto& v) {
         parse_int_in(k, v, 1, 65535);
         c.listen_address = c.listen_address.substr(0, c.listen_address.rfind(':') + 1) + v;
       },
       [](const Config& c) { return c.listen_address.substr(c.listen_address.rfind(':') + 1); }},
      {"webConfigFile", "WEB_CONFIG_FILE", "web.config.file",
       [](Config& c, auto&, auto& v) { c.web_config_file = v; },
       [](const Config& c) { return c.web_config_file; }},
      {"scrapeInterval", "SCRAPE_INTERVAL", "scrape.interval",
       [](Config& c, auto& k, auto& v) {
         c.scrape_interval = parse_duration_at_least(k, v, std::chrono::seconds(10));
       },
       [](const Config& c) { return format_duration(c.scrape_interval); }},
      {"scrapeJitterMax", "SCRAPE_JITTER_MAX", "scrape.jitter-max",
       [](Config& c, auto& k, auto& v) {
         c.scrape_jitter_max = parse_duration_at_least(k, v, milliseconds(0));
       },
       [](const Config& c) { return format_duration(c.scrape_jitter_max); }},
      {"maxStaleness", "MAX_STALENESS", "scrape.max-staleness",
       [](Config& c, auto& k, auto& v) {
         c.max_staleness = parse_duration_at_least(k, v, std::chrono::seconds(10));
       },
       [](const Config& c) { return format_duration(c.effective_max_staleness()); }},
      {"maxSeries", "MAX_SERIES", "scrape.max-series",
       [](Config& c, auto& k, auto& v) {
         // No "0 = unbounded": the bound is what keeps a huge cluster from filling the memory
         // and every scraper's; set a larger one instead.
         c.max_series = parse_int_in(k, v, 1, 50'000'000);
       },
       [](const Config& c) { return std::to_string(c.max_series); }},
      {"aggregationLevel", "AGGREGATION_LEVEL", "kubecost.aggregation-level",
       [](Config& c, auto& k, auto& v) {
         c.aggregation_level = one_of(k, v, {"namespace", "pod"});
       },
       [](const Config& c) { return c.aggregation_level; }},
      {"window", "WINDOW", "kubecost.window",
       [](Config& c, auto& k, auto& v) {
         auto w = parse_window(v);
         if (!w)
           bad_value(k, v,
                     "expected a Kubecost window such as 1h, 24h, 7d, today, yesterday or "
                     "2024-01-01T00:00:00Z,2024-01-02T00:00:00Z");
         c.window = *w;
       },
       [](const Config& c) { return c.window.text; }},
      {"timeSeries", "TIME_SERIES", "kubecost.time-series",
       [](Config& c, auto& k, auto& v) { c.time_series = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.time_series); }},
      {"step", "STEP", "kubecost.step",
       [](Config& c, auto& k, auto& v) {
         parse_duration_at_least(k, v, std::chrono::minutes(1));
         c.step = v;
       },
       [](const Config& c) { return c.step; }},
      {"accumulate", "ACCUMULATE", "kubecost.accumulate",
       [](Config& c, auto& k, auto& v) { c.accumulate = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.accumulate); }},
      {"includeIdle", "INCLUDE_IDLE", "kubecost.include-idle",
       [](Config& c, auto& k, auto& v) { c.include_idle = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.include_idle); }},
      {"shareIdle", "SHARE_IDLE", "kubecost.share-idle",
       [](Config& c, auto& k, auto& v) {
         c.share_idle = one_of(k, v, {"none", "weighted", "even", "true", "false"});
         if (c.share_idle == "true") c.share_idle = "weighted";
         if (c.share_idle == "false") c.share_idle = "none";
       },
       [](const Config& c) { return c.share_idle; }},
      {"metricMode", "METRIC_MODE", "metric.mode",
       [](Config& c, auto& k, auto& v) {
         c.metric_mode =
             one_of(k, v, {"rate", "total"}) == "rate" ? MetricMode::rate : MetricMode::total;
       },
       [](const Config& c) {
         return std::string(c.metric_mode == MetricMode::rate ? "rate" : "total");
       }},
      {"tenantId", "TENANT_ID", "tenant-id", [](Config& c, auto&, auto& v) { c.tenant_id = v; },
       [](const Config& c) { return c.tenant_id; }},
      {"clusterName", "CLUSTER_NAME", "cluster-name",
       [](Config& c, auto& k, auto& v) {
         if (v.empty()) bad_value(k, v, "must not be empty");
         c.cluster_name = v;
       },
       [](const Config& c) { return c.cluster_name; }},
      {"currency", "CURRENCY", "currency",
       [](Config& c, auto& k, auto& v) { c.currency = currency_code(k, v); },
       [](const Config& c) { return c.currency; }},
      {"enablePodMetrics", "ENABLE_POD_METRICS", "pod-metrics.enabled",
       [](Config& c, auto& k, auto& v) { c.enable_pod_metrics = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.enable_pod_metrics); }},
      {"topNPods", "TOP_N_PODS", "pod-metrics.top-n",
       [](Config& c, auto& k, auto& v) {
         c.top_n_pods = static_cast<int>(parse_int_in(k, v, 1, 10000));
       },
       [](const Config& c) { return std::to_string(c.top_n_pods); }},
      {"labelKeys", "LABEL_KEYS", "label-keys",
       [](Config& c, auto& k, auto& v) {
         c.label_keys = kubernetes_key_list(k, v, KeyExport::prometheus_label);
       },
       [](const Config& c) {
         std::string s;
         for (auto& k : c.label_keys) s += (s.empty() ? "" : ",") + k;
         return s;
       }},
      {"logLevel", "LOG_LEVEL", "log.level",
       [](Config& c, auto& k, auto& v) {
         c.log_level = one_of(k, v, {"debug", "info", "warn", "error"});
       },
       [](const Config& c) { return c.log_level; }},
      {"logFormat", "LOG_FORMAT", "log.format",
       [](Config& c, auto& k, auto& v) {
         c.log_format =
             one_of(k, v, {"logfmt", "json"}) == "json" ? LogFormat::json : LogFormat::logfmt;
       },
       [](const Config& c) {
         return std::string(c.log_format == LogFormat::json ? "json" : "logfmt");
       }},
      {"demo", "DEMO", "demo", [](Config& c, auto& k, auto& v) { c.demo = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.demo); }},
      // --- doctor's Prometheus checks ---
      {"doctorPrometheusUrl", "DOCTOR_PROMETHEUS_URL", "prometheus.url",
       [](Config& c, auto& k, auto& v) {
         c.doctor.prometheus_url = v.empty() ? v : http_url(k, v);
       },
       [](const Config& c) { return redact_url(c.doctor.prometheus_url); }},
      {"doctorPrometheusJob", "DOCTOR_PROMETHEUS_JOB", "prometheus.job",
       [](Config& c, auto&, auto& v) { c.doctor.prometheus_job = v; },
       [](const Config& c) { return c.doctor.prometheus_job; }},
      {"doctorRemoteWriteName", "DOCTOR_REMOTE_WRITE_NAME", "prometheus.remote-write-name",
       [](Config& c, auto&, auto& v) { c.doctor.remote_write_name = v; },
       [](const Config& c) { return c.doctor.remote_write_name; }},
      // --- leader election (exporter/election), one block ---
      {"leaderElection.enabled", "LEADER_ELECTION", "leader-election.enabled",
       [](Config& c, auto& k, auto& v) { c.leader_election.enabled = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.leader_election.enabled); }},
      {"leaderElection.namespace", "LEADER_ELECTION_NAMESPACE", "leader-election.namespace",
       [](Config& c, auto& k, auto& v) {
         if (!v.empty() && !dns_label(v))
           bad_value(k, v, "not a Kubernetes namespace name (a DNS-1123 label)");
         c.leader_election.namespace_name = v;
       },
       [](const Config& c) { return c.leader_election.namespace_name; }},
      {"leaderElection.leaseName", "LEADER_ELECTION_LEASE_NAME", "leader-election.lease-name",
       [](Config& c, auto& k, auto& v) {
         if (!dns_subdomain(v))
           bad_value(k, v, "not a Kubernetes object name (a DNS-1123 subdomain)");
         c.leader_election.lease_name = v;
       },
       [](const Config& c) { return c.leader_election.lease_name; }},
      {"leaderElection.leaseDuration", "LEADER_ELECTION_LEASE_DURATION",
       "leader-election.lease-duration",
       [](Config& c, auto& k, auto& v) {
         auto d = parse_duration_at_least(k, v, milliseconds(1000));
         // The Lease stores whole seconds (spec.leaseDurationSeconds).
         if (d.count() % 1000 != 0) bad_value(k, v, "must be a whole number of seconds");
         c.leader_election.lease_duration = d;
       },
       [](const Config& c) { return format_duration(c.leader_election.lease_duration); }},
      {"leaderElection.renewDeadline", "LEADER_ELECTION_RENEW_DEADLINE",
       "leader-election.renew-deadline",
       [](Config& c, auto& k, auto& v) {
         c.leader_election.renew_deadline = parse_duration_at_least(k, v, milliseconds(100));
       },
       [](const Config& c) { return format_duration(c.leader_election.renew_deadline); }},
      {"leaderElection.retryPeriod", "LEADER_ELECTION_RETRY_PERIOD", "leader-election.retry-period",
       [](Config& c, auto& k, auto& v) {
         c.leader_election.retry_period = parse_duration_at_least(k, v, milliseconds(100));
       },
       [](const Config& c) { return format_duration(c.leader_election.retry_period); }},
      {"kubeconfig", "KUBECONFIG", "kubeconfig",
       [](Config& c, auto&, auto& v) { c.kubeconfig = v; },
       [](const Config& c) { return c.kubeconfig; }},
      // --- end of leader election ---
      // --- s3-export (names of the AWS kubecost-s3-exporter) ---
      {"s3BucketName", "S3_BUCKET_NAME", "s3.bucket",
       [](Config& c, auto& k, auto& v) {
         bool ok = v.empty() || (v.size() >= 3 && v.size() <= 63);
         for (char ch : v)
           ok = ok &&
                ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.');
         ok = ok && (v.empty() || (std::isalnum(static_cast<unsigned char>(v.front())) &&
                                   std::isalnum(static_cast<unsigned char>(v.back()))));
         if (!ok) bad_value(k, v, "not a valid S3 bucket name (3-63 of a-z 0-9 . -)");
         c.s3.bucket = v;
       },
       [](const Config& c) { return c.s3.bucket; }},
      {"clusterId", "CLUSTER_ID", "s3.cluster-id",
       [](Config& c, auto& k, auto& v) {
         if (!v.empty())
           if (const std::string why = cluster_arn_problem(v); !why.empty()) bad_value(k, v, why);
         c.s3.cluster_arn = v;
       },
       [](const Config& c) { return c.s3.cluster_arn; }},
      {"irsaParentRoleArn", "IRSA_PARENT_IAM_ROLE_ARN", "s3.parent-role-arn",
       [](Config& c, auto& k, auto& v) {
         if (!v.empty() && (!v.starts_with("arn:aws") || v.find(":role/") == std::string::npos))
           bad_value(k, v, "expected an IAM role ARN arn:aws:iam::<account>:role/<name>");
         c.s3.parent_role_arn = v;
       },
       [](const Config& c) { return c.s3.parent_role_arn; }},
      {"kubecostApiEndpoint", "KUBECOST_API_ENDPOINT", "s3.kubecost-api-endpoint",
       [](Config& c, auto& k, auto& v) {
         c.s3.kubecost_endpoint = v.empty() ? v : http_url_without_userinfo(k, v);
       },
       [](const Config& c) { return redact_url(c.s3.kubecost_endpoint); }},
      {"backfillPeriodDays", "BACKFILL_PERIOD_DAYS", "s3.backfill-days",
       [](Config& c, auto& k, auto& v) {
         c.s3.backfill_days = static_cast<int>(parse_int_like_python(k, v, 3, 3650));
       },
       [](const Config& c) { return std::to_string(c.s3.backfill_days); }},
      {"aggregation", "AGGREGATION", "s3.aggregation",
       [](Config& c, auto& k, auto& v) {
         const std::string& a = v;
         if (a != "container" && a != "pod" && a != "namespace" && a != "controller" &&
             a != "controllerKind" && a != "node" && a != "cluster")
           bad_value(
               k, v,
               "expected one of container|pod|namespace|controller|controllerKind|node|cluster");
         c.s3.aggregation = a;
       },
       [](const Config& c) { return c.s3.aggregation; }},
      {"granularity", "GRANULARITY", "s3.granularity",
       [](Config& c, auto& k, auto& v) {
         c.s3.granularity = one_of(k, v, {"hourly", "daily"});
       },
       [](const Config& c) { return c.s3.granularity; }},
      {"reconcileHourly", "RECONCILE_HOURLY", "s3.reconcile-hourly",
       [](Config& c, auto& k, auto& v) { c.s3.reconcile_hourly = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.s3.reconcile_hourly); }},
      {"allocationApiPaginate", "KUBECOST_ALLOCATION_API_PAGINATE", "s3.paginate",
       [](Config& c, auto& k, auto& v) { c.s3.paginate = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.s3.paginate); }},
      {"allocationApiResolution", "KUBECOST_ALLOCATION_API_RESOLUTION", "s3.resolution",
       [](Config& c, auto& k, auto& v) {
         parse_duration_at_least(k, v, milliseconds(1000));
         c.s3.resolution = v;
       },
       [](const Config& c) { return c.s3.resolution; }},
      {"connectionTimeout", "CONNECTION_TIMEOUT", "s3.connection-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.connection_timeout = parse_seconds_like_python(k, v, std::chrono::hours(24));
       },
       [](const Config& c) { return format_duration(c.s3.connection_timeout); }},
      {"allocationApiReadTimeout", "KUBECOST_ALLOCATION_API_READ_TIMEOUT",
       "s3.allocation-read-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.allocation_read_timeout = parse_seconds_like_python(k, v, std::chrono::hours(24));
       },
       [](const Config& c) { return format_duration(c.s3.allocation_read_timeout); }},
      {"assetsApiReadTimeout", "KUBECOST_ASSETS_API_READ_TIMEOUT", "s3.assets-read-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.assets_read_timeout = parse_seconds_like_python(k, v, std::chrono::hours(24));
       },
       [](const Config& c) { return format_duration(c.s3.assets_read_timeout); }},
      {"tlsVerify", "TLS_VERIFY", "s3.tls-verify",
       [](Config& c, auto& k, auto& v) { c.s3.tls_verify = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.s3.tls_verify); }},
      {"caCertificateSecretName", "KUBECOST_CA_CERTIFICATE_SECRET_NAME", "s3.ca-secret-name",
       [](Config& c, auto&, auto& v) { c.s3.ca_secret_name = v; },
       [](const Config& c) { return c.s3.ca_secret_name; }},
      {"caCertificateSecretRegion", "KUBECOST_CA_CERTIFICATE_SECRET_REGION", "s3.ca-secret-region",
       [](Config& c, auto& k, auto& v) {
         // It names the Secrets Manager host (secretsmanager.<region>.<DNS suffix>).
         if (!v.empty() && !valid_aws_region(v))
           bad_value(k, v,
                     "not an AWS region code (like us-east-1: two letters, an optional -gov, "
                     "-<name>-<number>)");
         c.s3.ca_secret_region = v;
       },
       [](const Config& c) { return c.s3.ca_secret_region; }},
      {"labels", "LABELS", "s3.labels",
       [](Config& c, auto& k, auto& v) {
         c.s3.labels = kubernetes_key_list(k, v, KeyExport::parquet_column);
       },
       [](const Config& c) {
         std::string s;
         for (auto& k : c.s3.labels) s += (s.empty() ? "" : ",") + k;
         return s;
       }},
      {"annotations", "ANNOTATIONS", "s3.annotations",
       [](Config& c, auto& k, auto& v) {
         c.s3.annotations = kubernetes_key_list(k, v, KeyExport::parquet_column);
       },
       [](const Config& c) {
         std::string s;
         for (auto& k : c.s3.annotations) s += (s.empty() ? "" : ",") + k;
         return s;
       }},
      {"pushgatewayUrl", "PUSHGATEWAY_URL", "s3.pushgateway-url",
       [](Config& c, auto& k, auto& v) { c.s3.pushgateway_url = v.empty() ? v : http_url(k, v); },
       [](const Config& c) { return redact_url(c.s3.pushgateway_url); }},
      {"s3Compression", "S3_EXPORT_COMPRESSION", "s3.compression",
       [](Config& c, auto& k, auto& v) {
         c.s3.compression = one_of(k, v, {"snappy", "zstd"});
       },
       [](const Config& c) { return c.s3.compression; }},
      {"s3WorkDir", "S3_EXPORT_WORK_DIR", "s3.work-dir",
       [](Config& c, auto&, auto& v) { c.s3.work_dir = v; },
       [](const Config& c) { return c.s3.work_dir; }},
      {"s3MultipartThresholdBytes", "S3_MULTIPART_THRESHOLD_BYTES", "s3.multipart-threshold-bytes",
       [](Config& c, auto& k, auto& v) {
         c.s3.multipart_threshold = parse_int_in(k, v, 0, 5LL << 30);
       },
       [](const Config& c) { return std::to_string(c.s3.multipart_threshold); }},
      // --- s3-export deadlines (a slow or hostile S3/STS cannot hold a run) ---
      {"s3ExportAwsTimeout", "S3_EXPORT_AWS_TIMEOUT", "s3.aws-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.aws_call_timeout = parse_duration_at_least(k, v, milliseconds(1000));
       },
       [](const Config& c) { return format_duration(c.s3.aws_call_timeout); }},
      {"s3ExportRunTimeout", "S3_EXPORT_RUN_TIMEOUT", "s3.run-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.run_timeout = parse_duration_at_least(k, v, milliseconds(1000));
       },
       [](const Config& c) { return format_duration(c.s3.run_timeout); }},
      {"demoPods", "DEMO_PODS", "demo.pods",
       [](Config& c, auto& k, auto& v) {
         c.demo_pods = static_cast<int>(parse_int_in(k, v, 1, 1'000'000));
       },
       [](const Config& c) { return std::to_string(c.demo_pods); }},
  };
  return table;
}

const Setting* find_setting_by_key(std::string_view key) {
  auto it = std::find_if(settings().begin(), settings().end(),
                         [&](const Setting& s) { return key == s.key; });
  return it == settings().end() ? nullptr : &*it;
}

const Setting* find_setting_by_flag(std::string_view flag) {
  if (flag.empty()) return nullptr;
  auto it = std::find_if(settings().begin(), settings().end(),
                         [&](const Setting& s) { return *s.flag && flag == s.flag; });
  return it == settings().end() ? nullptr : &*it;
}

void apply_setting(Config& config, const Setting& s, const std::string& value, std::string origin) {
  s.apply(config, s.key, value);
  config.origin[s.key] = std::move(origin);
}

}  // namespace kci

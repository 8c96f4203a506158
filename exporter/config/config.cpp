#include "exporter/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "exporter/util/result.hpp"

namespace kci {
namespace {

[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& why) {
  throw ConfigError(key + ": invalid value \"" + value + "\": " + why);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool parse_bool(const std::string& key, const std::string& v) {
  std::string l = lower(v);
  if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "0" || l == "no" || l == "off") return false;
  bad_value(key, v, "expected true or false");
}

std::chrono::milliseconds parse_duration_at_least(const std::string& key, const std::string& v,
                                                  std::chrono::milliseconds min) {
  auto d = parse_duration(v);
  if (!d) bad_value(key, v, "expected a duration such as 120, 90s, 2m or 1h");
  if (*d < min) bad_value(key, v, "must be at least " + format_duration(min));
  return *d;
}

long long parse_int_in(const std::string& key, const std::string& v, long long lo, long long hi) {
  long long n = 0;
  std::size_t used = 0;
  try {
    n = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size()) bad_value(key, v, "expected a whole number");
  if (n < lo || n > hi)
    bad_value(key, v, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  return n;
}

std::string one_of(const std::string& key, const std::string& v,
                   std::initializer_list<const char*> allowed) {
  std::string l = lower(v);
  std::string list;
  for (const char* a : allowed) {
    if (l == a) return l;
    list += (list.empty() ? "" : "|") + std::string(a);
  }
  bad_value(key, v, "expected one of " + list);
}

std::string http_url(const std::string& key, const std::string& v) {
  if (!(v.starts_with("http://") || v.starts_with("https://")) ||
      v.find_first_of(" \t\r\n") != std::string::npos || v.size() <= v.find("//") + 2)
    bad_value(key, redact_url(v), "expected an http:// or https:// URL");
  std::string out = v;
  while (out.size() > 8 && out.back() == '/') out.pop_back();
  return out;
}

std::string host_port(const std::string& key, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos) bad_value(key, v, "expected HOST:PORT, e.g. :9103");
  parse_int_in(key, v.substr(colon + 1), 0, 65535);
  return v;
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

struct Setting {
  const char* key;   // YAML key
  const char* env;   // environment variable ("" for none)
  const char* flag;  // command-line flag without "--" ("" for none)
  std::function<void(Config&, const std::string& key, const std::string& value)> apply;
  std::function<std::string(const Config&)> show;
};

std::string show_bool(bool b) { return b ? "true" : "false"; }

const std::vector<Setting>& settings() {
  using std::chrono::milliseconds;
  static const std::vector<Setting> table = {
      {"kubecostUrl", "KUBECOST_URL", "kubecost.url",
       [](Config& c, auto& k, auto& v) { c.kubecost.url = http_url(k, v); },
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
       [](Config& c, auto& k, auto& v) {
         if (v.empty() || v.size() > 16) bad_value(k, v, "expected a currency code such as USD");
         c.currency = v;
       },
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
         c.label_keys = split_list(v);
         for (auto& key : c.label_keys)
           if (key.size() > 317 || key.find_first_of("\"\\\n= ") != std::string::npos)
             bad_value(k, key, "not a Kubernetes label key");
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
         if (!v.empty() && !parse_cluster_arn(v))
           bad_value(k, v,
                     "expected an EKS cluster ARN arn:aws:eks:<region>:<account>:cluster/<name>");
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
       [](Config& c, auto& k, auto& v) { c.s3.kubecost_endpoint = v.empty() ? v : http_url(k, v); },
       [](const Config& c) { return redact_url(c.s3.kubecost_endpoint); }},
      {"backfillPeriodDays", "BACKFILL_PERIOD_DAYS", "s3.backfill-days",
       [](Config& c, auto& k, auto& v) {
         c.s3.backfill_days = static_cast<int>(parse_int_in(k, v, 3, 3650));
       },
       [](const Config& c) { return std::to_string(c.s3.backfill_days); }},
      {"aggregation", "AGGREGATION", "s3.aggregation",
       [](Config& c, auto& k, auto& v) {
         std::string a = v;
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
         c.s3.connection_timeout = parse_duration_at_least(k, v, milliseconds(1000));
       },
       [](const Config& c) { return format_duration(c.s3.connection_timeout); }},
      {"allocationApiReadTimeout", "KUBECOST_ALLOCATION_API_READ_TIMEOUT",
       "s3.allocation-read-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.allocation_read_timeout = parse_duration_at_least(k, v, milliseconds(1000));
       },
       [](const Config& c) { return format_duration(c.s3.allocation_read_timeout); }},
      {"assetsApiReadTimeout", "KUBECOST_ASSETS_API_READ_TIMEOUT", "s3.assets-read-timeout",
       [](Config& c, auto& k, auto& v) {
         c.s3.assets_read_timeout = parse_duration_at_least(k, v, milliseconds(1000));
       },
       [](const Config& c) { return format_duration(c.s3.assets_read_timeout); }},
      {"tlsVerify", "TLS_VERIFY", "s3.tls-verify",
       [](Config& c, auto& k, auto& v) { c.s3.tls_verify = parse_bool(k, v); },
       [](const Config& c) { return show_bool(c.s3.tls_verify); }},
      {"caCertificateSecretName", "KUBECOST_CA_CERTIFICATE_SECRET_NAME", "s3.ca-secret-name",
       [](Config& c, auto&, auto& v) { c.s3.ca_secret_name = v; },
       [](const Config& c) { return c.s3.ca_secret_name; }},
      {"caCertificateSecretRegion", "KUBECOST_CA_CERTIFICATE_SECRET_REGION", "s3.ca-secret-region",
       [](Config& c, auto&, auto& v) { c.s3.ca_secret_region = v; },
       [](const Config& c) { return c.s3.ca_secret_region; }},
      {"labels", "LABELS", "s3.labels",
       [](Config& c, auto&, auto& v) { c.s3.labels = split_list(v); },
       [](const Config& c) {
         std::string s;
         for (auto& k : c.s3.labels) s += (s.empty() ? "" : ",") + k;
         return s;
       }},
      {"annotations", "ANNOTATIONS", "s3.annotations",
       [](Config& c, auto&, auto& v) { c.s3.annotations = split_list(v); },
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

void apply(Config& config, const Setting& s, const std::string& value, std::string origin) {
  s.apply(config, s.key, value);
  config.origin[s.key] = std::move(origin);
}

void apply_yaml_file(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("config.file: cannot read \"" + path + "\"");
  std::stringstream text;
  text << in.rdbuf();
  apply_yaml_text(config, text.str(), path);
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cli;
  int i = 1;
  if (i < argc && argv[i][0] != '-') {
    std::string mode = argv[i++];
    if (mode != "serve" && mode != "check-config" && mode != "s3-export")
      throw ConfigError("command: unknown command \"" + mode +
                        "\" (expected serve, check-config or s3-export)");
    cli.mode = mode;
  }
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--version") {
      cli.show_version = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      cli.show_help = true;
      continue;
    }
    if (!arg.starts_with("--"))
      throw ConfigError("command line: unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    bool known = name == "config.file" ||
                 std::any_of(settings().begin(), settings().end(),
                             [&](const Setting& s) { return *s.flag && name == s.flag; });
    if (!known) throw ConfigError("--" + name + ": unknown flag (see --help)");
    if (!has_value) {
      // Boolean flags stand alone ("--demo"); others take the next argument.
      auto it = std::find_if(settings().begin(), settings().end(),
                             [&](const Setting& s) { return *s.flag && name == s.flag; });
      std::string shown = it != settings().end() ? it->show(Config{}) : "";
      bool boolean = shown == "true" || shown == "false";
      if (boolean && (i + 1 >= argc || std::string_view(argv[i + 1]).starts_with("--"))) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        throw ConfigError("--" + name + ": missing value");
      }
    }
    cli.flags.emplace_back(name, value);
  }
  return cli;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Config load_config(const CommandLine& cli, const EnvLookup& env) {
  Config config;
  for (const auto& s : settings()) config.origin[s.key] = "default";
  for (const auto& [name, value] : cli.flags)
    if (name == "config.file") apply_yaml_file(config, value);
  for (const auto& s : settings()) {
    if (!*s.env) continue;
    if (auto v = env(s.env)) apply(config, s, *v, std::string("env ") + s.env);
  }
  for (const auto& [name, value] : cli.flags) {
    for (const auto& s : settings())
      if (*s.flag && name == s.flag) apply(config, s, value, "flag --" + name);
  }
  if (config.max_staleness.count() > 0 && config.max_staleness < config.scrape_interval)
    throw ConfigError("maxStaleness: invalid value \"" + format_duration(config.max_staleness) +
                      "\": must be at least scrapeInterval (" +
                      format_duration(config.scrape_interval) + ")");
  return config;
}

void apply_yaml_text(Config& config, const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("config.file: \"" + path + "\" is not valid YAML: " + e.msg + " at line " +
                      std::to_string(e.mark.line + 1));
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) throw ConfigError("config.file: \"" + path + "\" must be a YAML mapping");
  for (const auto& entry : root) {
    if (!entry.first.IsScalar()) throw ConfigError("config.file: keys must be plain names");
    std::string key = entry.first.as<std::string>();
    auto it = std::find_if(settings().begin(), settings().end(),
                           [&](const Setting& s) { return key == s.key; });
    if (it == settings().end()) throw ConfigError(key + ": unknown key in " + path);
    const YAML::Node& node = entry.second;
    std::string value;
    if (node.IsSequence()) {
      for (const auto& item : node) {
        if (!item.IsScalar()) throw ConfigError(key + ": list items must be plain values");
        value += (value.empty() ? "" : ",") + item.as<std::string>();
      }
    } else if (node.IsScalar()) {
      value = node.as<std::string>();
    } else if (node.IsNull()) {
      value = "";
    } else {
      throw ConfigError(key + ": expected a plain value, not a mapping");
    }
    apply(config, *it, value, "file");
  }
}

std::string describe_config(const Config& config) {
  std::string out;
  for (const auto& s : settings()) {
    out += s.key;
    out += " = ";
    out += s.show(config);
    auto origin = config.origin.find(s.key);
    out +=
        "  (" + (origin == config.origin.end() ? std::string("default") : origin->second) + ")\n";
  }
  return out;
}

std::string usage_text() {
  std::string out =
      "Usage: allocation-exporter [serve|check-config|s3-export] [flags]\n"
      "       allocation-exporter --version\n\n"
      "Flags (each also settable by YAML key or environment variable; flags win):\n"
      "  --config.file FILE   YAML file with the keys below (unknown keys are errors)\n";
  for (const auto& s : settings()) {
    std::string flag = *s.flag ? std::string("--") + s.flag : std::string("(no flag)");
    out += "  " + flag + std::string(flag.size() < 32 ? 32 - flag.size() : 1, ' ') + "yaml " +
           s.key + (*s.env ? std::string(", env ") + s.env : "") + "\n";
  }
  return out;
}

std::optional<ClusterArn> parse_cluster_arn(const std::string& arn) {
  // arn:<partition>:eks:<region>:<12-digit account>:cluster/<name>
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string resource = arn.substr(start);
  if (parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "eks" || parts[3].empty() ||
      parts[4].size() != 12 || parts[4].find_first_not_of("0123456789") != std::string::npos ||
      !resource.starts_with("cluster/") || resource.size() <= 8)
    return std::nullopt;
  return ClusterArn{parts[4], parts[3], resource.substr(8)};
}

}  // namespace kci

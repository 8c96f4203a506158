#pragma once
// Settings of every mode: defaults < YAML file < environment < command-line flags.
// The public entry of exporter/config: the Config the modes read, and load_config building it.
// Each setting is declared once (key, env name, flag, parser) in the settings table
// (settings.hpp); the tables in docs/ (docs/settings.md and the pages it links) and
// config/allocation-exporter.example.yaml document the same list. The parts, one concern per
// file: value_parsers (one value's text), command_line, environment, config_file (the YAML
// file), cluster_arn; config_loader.cpp implements the functions below. Only app/ and main.cpp
// read a Config: the layers below get small options structs app/ builds from it
// (app/serve_options.hpp, app/s3_export_options.hpp).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exporter/config/cluster_arn.hpp"
#include "exporter/config/command_line.hpp"
#include "exporter/config/environment.hpp"
#include "exporter/config/metric_mode.hpp"
#include "exporter/http/kubecost_connection.hpp"
#include "exporter/util/durations.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {

// s3-export settings, named as the AWS kubecost-s3-exporter names them.
struct S3ExportConfig {
  std::string bucket;             // S3_BUCKET_NAME
  std::string cluster_arn;        // CLUSTER_ID: arn:aws:eks:<region>:<account>:cluster/<name>
  std::string parent_role_arn;    // IRSA_PARENT_IAM_ROLE_ARN
  std::string kubecost_endpoint;  // KUBECOST_API_ENDPOINT ("" = kubecostUrl)
  int backfill_days = 15;         // BACKFILL_PERIOD_DAYS, at least 3
  std::string aggregation = "container";
  std::string granularity = "hourly";
  bool reconcile_hourly = true;  // RECONCILE_HOURLY: hourly rows carry the ETL's adjustments
  bool paginate = false;         // 24 one-hour calls per day
  std::string resolution = "1m";
  std::chrono::milliseconds connection_timeout{10'000};
  std::chrono::milliseconds allocation_read_timeout{60'000};
  std::chrono::milliseconds assets_read_timeout{30'000};
  bool tls_verify = true;
  std::string ca_secret_name, ca_secret_region;
  std::vector<std::string> labels, annotations;  // Kubernetes keys -> columns
  std::string pushgateway_url;
  std::string compression = "snappy";
  std::string work_dir = "/tmp";
  std::uint64_t multipart_threshold = 8ULL << 20;  // boto3 TransferConfig's default
  // Deadlines against a slow or hostile S3/STS (s3ExportAwsTimeout, s3ExportRunTimeout).
  std::chrono::milliseconds aws_call_timeout{120'000};  // one AWS call, retries included
  std::chrono::milliseconds run_timeout{45 * 60'000};   // the whole run
};

// `allocation-exporter doctor`'s Prometheus checks (doctor_mode.hpp).
struct DoctorConfig {
  std::string prometheus_url;     // "" = no Prometheus checks
  std::string prometheus_job;     // "" = find the target by cloudtuner_kubecost_exporter_info
  std::string remote_write_name;  // "" = every remote_write queue
};

// Lease-based leader election for replicaCount >= 2 (exporter/election): only the leader polls
// Kubecost and publishes cost series. Durations follow client-go's leaderelection defaults
// used by kube-controller-manager (15s / 10s / 2s).
struct LeaderElectionConfig {
  bool enabled = false;
  std::string namespace_name;  // "" = POD_NAMESPACE, else the in-cluster namespace file
  std::string lease_name = "kubecost-allocation-exporter";
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

struct Config {
  KubecostConnection kubecost;
  DoctorConfig doctor;
  LeaderElectionConfig leader_election;
  std::string kubeconfig;  // "" = in-cluster (service-account token) when election is on
  S3ExportConfig s3;
  std::string listen_address = "0.0.0.0:9103";
  std::string web_config_file;
  std::chrono::milliseconds scrape_interval{120'000};
  std::chrono::milliseconds scrape_jitter_max{10'000};
  std::chrono::milliseconds max_staleness{0};  // 0: three scrape intervals
  // maxSeries: a poll that would publish more series fails (too_many_series); 1..50 000 000.
  long long max_series = 200'000;
  std::string aggregation_level = "namespace";
  WindowSpec window{"24h", 24};
  bool time_series = false;
  std::string step = "1h";
  bool accumulate = true;
  bool include_idle = true;
  std::string share_idle = "weighted";
  MetricMode metric_mode = MetricMode::rate;
  std::string tenant_id;
  std::string cluster_name = "kubernetes";
  std::string currency = "USD";
  // multiCluster: one exporter for a federation; `cluster` label from properties.cluster.
  bool multi_cluster = false;
  bool enable_pod_metrics = false;
  int top_n_pods = 50;
  std::vector<std::string> label_keys;  // Kubernetes label keys exported as label_<sanitised>
  std::string log_level = "info";
  LogFormat log_format = LogFormat::logfmt;
  bool demo = false;
  int demo_pods = 400;  // size of the synthetic cluster behind --demo

  // Where each key's value came from: "default", "file", "env NAME" or "flag --name".
  std::map<std::string, std::string> origin;

  std::chrono::milliseconds effective_max_staleness() const {
    return max_staleness.count() > 0 ? max_staleness : 3 * scrape_interval;
  }
  bool wants_pods() const { return enable_pod_metrics || aggregation_level == "pod"; }
};

// Builds the effective config: defaults, then the --config.file YAML (config_file.hpp), then the
// environment, then the flags, each parsed by the settings table. Throws ConfigError with one
// line naming the key and the value.
Config load_config(const CommandLine& cli, const EnvLookup& env);

// "key = value  (origin)" lines for every setting; secrets are never printed.
std::string describe_config(const Config& config);

// The usage text (every flag, with its env and YAML twins).
std::string usage_text();

}  // namespace kci

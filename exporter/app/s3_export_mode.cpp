#include "exporter/app/s3_export_mode.hpp"

#include <fstream>
#include <regex>

#include "exporter/app/run_stopper.hpp"
#include "exporter/app/s3_export_options.hpp"
#include "exporter/aws/aws_client.hpp"
#include "exporter/aws/credentials.hpp"
#include "exporter/aws/s3.hpp"
#include "exporter/aws/secrets_manager.hpp"
#include "exporter/config/value_parsers.hpp"
#include "exporter/s3export/http_kubecost_api.hpp"
#include "exporter/s3export/pushgateway.hpp"
#include "exporter/s3export/s3_export.hpp"
#include "exporter/s3export/s3_object_store.hpp"
#include "exporter/util/cancellation.hpp"
#include "exporter/util/env.hpp"
#include "exporter/util/logging.hpp"

namespace kci {
namespace {

ClusterArn checked_cluster(const S3ExportConfig& s3) {
  if (s3.bucket.empty())
    throw ConfigError("s3BucketName: S3_BUCKET_NAME is required for s3-export");
  if (s3.cluster_arn.empty())
    throw ConfigError("clusterId: CLUSTER_ID (the EKS cluster ARN) is required for s3-export");
  auto arn = parse_cluster_arn(s3.cluster_arn);
  if (!arn) throw ConfigError("clusterId: invalid value \"" + s3.cluster_arn + "\"");
  static const std::regex account(R"(\d{12})"),
      region_code(R"((us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d)");
  if (std::regex_search(s3.bucket, account) || std::regex_search(s3.bucket, region_code))
    log::warn(
        "the bucket name holds an account id or region code: predictable names invite bucket "
        "sniping",
        {{"bucket", s3.bucket}});
  return *arn;
}

}  // namespace

std::string aws_request_region(const EnvLookup& env, const std::string& cluster_region) {
  static const std::regex botocore_region(R"([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)");
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string value = env(name).value_or("");
    if (value.empty()) continue;
    if (!std::regex_match(value, botocore_region))
      throw ConfigError(std::string(name) + ": invalid value " + quoted_value(value) +
                        ": not an AWS region name (1-63 of A-Z a-z 0-9 -)");
    return value;
  }
  return cluster_region;
}

int run_s3_export(const Config& config, const EnvLookup& env) {
  const S3ExportConfig& s3 = config.s3;
  const ClusterArn arn = checked_cluster(s3);
  // Where S3, STS and Secrets Manager requests go first (S3 follows a bucket's region answer);
  // never the region of the data, which is the cluster's (s3_export_run_settings).
  const std::string region = aws_request_region(env, arn.region);
  // First, before any thread: SIGTERM/SIGINT and the run deadline become `cancel`.
  Cancellation cancel;
  RunStopper stopper(cancel, s3.run_timeout, "s3ExportRunTimeout");
  aws::ClientOptions options;
  options.call_timeout = s3.aws_call_timeout;
  options.call_timeout_name = "s3ExportAwsTimeout";
  aws::Client aws(aws::Endpoints::from_environment(env, region), options, cancel);
  aws::CredentialChain chain(aws, env, s3.parent_role_arn);
  Env& sys = Env::system();  // the clock (util/env.hpp); `env` is the environment variables
  Pushgateway pushgateway(s3.pushgateway_url, arn.name);

  auto creds = chain.get();
  if (!creds.ok()) {
    log::error("s3-export cannot get AWS credentials", {{"error", creds.failure().message}});
    pushgateway.report(RunReport{.finished_at = sys.wall_unix_time()});
    return 1;
  }
  log::info("aws credentials", {{"source", chain.describe()}, {"region", region}});
  KubecostConnection kubecost = s3_export_connection(config);
  if (!s3.ca_secret_name.empty()) {
    auto ca = aws::get_secret_string(aws, chain, s3.ca_secret_name, s3.ca_secret_region);
    if (!ca.ok()) {
      log::error("s3-export cannot read the Kubecost CA", {{"error", ca.failure().message}});
      pushgateway.report(RunReport{.finished_at = sys.wall_unix_time()});
      return 1;
    }
    const std::string path = s3.work_dir + "/kubecost-ca.pem";
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << ca.value();
    file.close();
    if (!file) {  // a full or read-only work directory: say so, never go on without the CA
      log::error("s3-export cannot write the Kubecost CA",
                 {{"path", path}, {"setting", "s3WorkDir"}});
      pushgateway.report(RunReport{.finished_at = sys.wall_unix_time()});
      return 1;
    }
    kubecost.ca_file = path;
  }
  aws::S3 s3_client(aws, chain);
  S3ObjectStore store(s3_client, s3.bucket);
  HttpKubecostApi api(kubecost, s3_export_query_options(config));
  const auto stop_kubecost = cancel.on_cancel([&] { api.cancel(); });
  const int rc =
      run_s3_export_days(s3_export_run_settings(config, arn), api, store, sys, pushgateway, cancel);
  if (cancel.cancelled()) {
    log::error("s3-export ended early, exit code 1", {{"reason", cancel.reason()}});
    return 1;
  }
  return rc;
}

}  // namespace kci

#include "exporter/s3export/s3_export_mode.hpp"

#include <httplib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/assets_parser.hpp"
#include "exporter/aws/aws_client.hpp"
#include "exporter/http/http_client.hpp"
#include "exporter/kubecost/kubecost_query.hpp"
#include "exporter/util/logging.hpp"
#include "exporter/parquet/parquet_writer.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

constexpr std::int64_t k_day = 86400;

std::string iso_day(std::int64_t day, const char* fmt = "%Y-%m-%d") {
  return format_utc(day * k_day, fmt);
}

std::string rfc3339(std::int64_t seconds) { return format_utc(seconds); }

// The Kubecost aggregation for each AGGREGATION value. Node is kept wherever pods are, so
// allocations can be joined to node facts.
std::string aggregate_for(const std::string& aggregation) {
  if (aggregation == "container")
    return "cluster,node,namespace,controllerKind,controller,pod,container";
  if (aggregation == "pod") return "cluster,node,namespace,controllerKind,controller,pod";
  if (aggregation == "namespace") return "cluster,namespace";
  if (aggregation == "controller") return "cluster,namespace,controllerKind,controller";
  if (aggregation == "controllerKind") return "cluster,namespace,controllerKind";
  if (aggregation == "node") return "cluster,node";
  return "cluster";
}

struct NumericColumn {
  const char* name;
  AllocField field;
};

// The AWS containers-cost-allocation dataset's numeric columns, in its order.
const std::vector<NumericColumn>& numeric_columns() {
  static const std::vector<NumericColumn> cols = {
      {"minutes", AllocField::minutes},
      {"cpucores", AllocField::cpu_cores},
      {"cpucorerequestaverage", AllocField::cpu_core_request_average},
      {"cpucoreusageaverage", AllocField::cpu_core_usage_average},
      {"cpucorehours", AllocField::cpu_core_hours},
      {"cpucost", AllocField::cpu_cost},
      {"cpucostadjustment", AllocField::cpu_cost_adjustment},
      {"cpuefficiency", AllocField::cpu_efficiency},
      {"gpucount", AllocField::gpu_count},
      {"gpuhours", AllocField::gpu_hours},
      {"gpucost", AllocField::gpu_cost},
      {"gpucostadjustment", AllocField::gpu_cost_adjustment},
      {"networktransferbytes", AllocField::network_transfer_bytes},
      {"networkreceivebytes", AllocField::network_receive_bytes},
      {"networkcost", AllocField::network_cost},
      {"networkcrosszonecost", AllocField::network_cross_zone_cost},
      {"networkcrossregioncost", AllocField::network_cross_region_cost},
      {"networkinternetcost", AllocField::network_internet_cost},
      {"networkcostadjustment", AllocField::network_cost_adjustment},
      {"loadbalancercost", AllocField::load_balancer_cost},
      {"loadbalancercostadjustment", AllocField::load_balancer_cost_adjustment},
      {"pvbytes", AllocField::pv_bytes},
      {"pvbytehours", AllocField::pv_byte_hours},
      {"pvcost", AllocField::pv_cost},
      {"pvcostadjustment", AllocField::pv_cost_adjustment},
      {"rambytes", AllocField::ram_bytes},
      {"rambyterequestaverage", AllocField::ram_byte_request_average},
      {"rambyteusageaverage", AllocField::ram_byte_usage_average},
      {"rambytehours", AllocField::ram_byte_hours},
      {"ramcost", AllocField::ram_cost},
      {"ramcostadjustment", AllocField::ram_cost_adjustment},
      {"ramefficiency", AllocField::ram_efficiency},
      {"sharedcost", AllocField::shared_cost},
      {"externalcost", AllocField::external_cost},
      {"totalcost", AllocField::total_cost},
      {"totalefficiency", AllocField::total_efficiency},
  };
  return cols;
}

const std::vector<const char*>& property_columns() {
  static const std::vector<const char*> cols = {"properties.provider",
                                                "properties.region",
                                                "properties.cluster",
                                                "properties.clusterid",
                                                "properties.eksclustername",
                                                "properties.container",
                                                "properties.namespace",
                                                "properties.pod",
                                                "properties.node",
                                                "properties.node_instance_type",
                                                "properties.node_availability_zone",
                                                "properties.node_capacity_type",
                                                "properties.node_architecture",
                                                "properties.node_os",
                                                "properties.node_nodegroup",
                                                "properties.node_nodegroup_image",
                                                "properties.controller",
                                                "properties.controllerkind",
                                                "properties.providerid"};
  return cols;
}

std::vector<parquet::ColumnSpec> dataset_schema(const S3ExportConfig& s3) {
  std::vector<parquet::ColumnSpec> schema = {
      {"name", parquet::ColumnType::string},
      {"window.start", parquet::ColumnType::timestamp_micros},
      {"window.end", parquet::ColumnType::timestamp_micros}};
  for (const auto& c : numeric_columns()) schema.push_back({c.name, parquet::ColumnType::float64});
  for (const char* c : property_columns()) schema.push_back({c, parquet::ColumnType::string});
  for (const auto& k : s3.labels)
    schema.push_back({"properties.labels." + k, parquet::ColumnType::string});
  for (const auto& k : s3.annotations)
    schema.push_back({"properties.annotations." + k, parquet::ColumnType::string});
  return schema;
}

struct Outcome {
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;
  double total_cost = 0;
};

class Exporter {
 public:
  Exporter(const Config& config, const EnvLookup& env, ClusterArn arn, std::string region)
      : m_config(config),
        m_s3cfg(config.s3),
        m_arn(std::move(arn)),
        m_region(std::move(region)),
        m_aws(aws::Endpoints::from_environment(env, m_region), std::chrono::seconds(120)),
        m_chain(m_aws, env, config.s3.parent_role_arn),
        m_s3(m_aws, m_chain) {
    m_conn = config.kubecost;
    if (!m_s3cfg.kubecost_endpoint.empty()) m_conn.url = m_s3cfg.kubecost_endpoint;
    m_conn.connect_timeout = m_s3cfg.connection_timeout;
    m_conn.insecure_skip_verify = m_conn.insecure_skip_verify || !m_s3cfg.tls_verify;
    for (const auto& k : m_s3cfg.labels) m_options.label_keys.push_back(sanitize_label_name(k));
    for (const auto& k : m_s3cfg.annotations)
      m_options.annotation_keys.push_back(sanitize_label_name(k));
    m_options.all_properties = true;
  }

  int run();

 private:
  bool opencost() const { return m_config.kubecost.flavour == Flavour::opencost; }
  std::string idle_params() const {
    return opencost() ? "&includeIdle=true&idleByNode=true"
                      : "&idle=true&splitIdle=true&idleByNode=true";
  }
  Expected<std::set<std::int64_t>> days_with_data(std::int64_t first, std::int64_t last);
  Expected<std::set<std::int64_t>> days_in_s3(std::int64_t first, std::int64_t last);
  Expected<Outcome> export_day(std::int64_t day);
  std::string key_for(std::int64_t day) const {
    return "account_id=" + m_arn.account_id + "/region=" + m_arn.region +
           "/year=" + iso_day(day, "%Y") + "/month=" + iso_day(day, "%m") + "/" + iso_day(day) +
           "_" + m_arn.name + ".snappy.parquet";
  }
  void push_metrics(bool ok, std::uint64_t days, std::uint64_t rows, std::uint64_t failed);

  const Config& m_config;
  const S3ExportConfig& m_s3cfg;
  ClusterArn m_arn;
  std::string m_region;
  KubecostConnection m_conn;
  ParseOptions m_options;
  aws::Client m_aws;
  aws::CredentialChain m_chain;
  aws::S3 m_s3;
};

Expected<std::set<std::int64_t>> Exporter::days_with_data(std::int64_t first, std::int64_t last) {
  KubecostConnection conn = m_conn;
  conn.request_timeout = m_s3cfg.allocation_read_timeout;
  HttpClient client(conn);
  std::string q = std::string(opencost() ? "/allocation" : "/model/allocation") + "?window=" +
                  url_encode(rfc3339(first * k_day) + "," + rfc3339((last + 1) * k_day)) +
                  "&aggregate=cluster&step=1d&accumulate=false" + idle_params();
  auto r = client.get(q);
  if (!r.ok()) return r.failure();
  std::set<std::int64_t> days;
  auto parsed = parse_allocations(
      r.value().body, ParseOptions{}, [&](const ParsedAllocation& a) {
        if (std::isnan(a.window_start) || std::isnan(a.get(AllocField::total_cost))) return;
        days.insert(static_cast<std::int64_t>(std::floor(a.window_start / k_day)));
      });
  if (!parsed.ok() && parsed.failure().reason != FailureReason::empty) return parsed.failure();
  return days;
}

Expected<std::set<std::int64_t>> Exporter::days_in_s3(std::int64_t first, std::int64_t last) {
  std::set<std::string> prefixes;
  for (std::int64_t d = first; d <= last; ++d)
    prefixes.insert("account_id=" + m_arn.account_id + "/region=" + m_arn.region +
                    "/year=" + iso_day(d, "%Y") + "/month=" + iso_day(d, "%m") + "/");
  std::set<std::int64_t> days;
  const std::string suffix = "_" + m_arn.name + ".snappy.parquet";
  for (const auto& prefix : prefixes) {
    auto keys = m_s3.list_keys(m_s3cfg.bucket, prefix);
    if (!keys.ok()) return keys.failure();
    for (const auto& key : keys.value()) {
      auto slash = key.rfind('/');
      std::string base = key.substr(slash + 1);
      if (base.size() != 10 + suffix.size() || !base.ends_with(suffix)) continue;
      auto t = parse_rfc3339(base.substr(0, 10) + "T00:00:00Z");
      if (t) days.insert(static_cast<std::int64_t>(*t) / k_day);
    }
  }
  return days;
}

Expected<Outcome> Exporter::export_day(std::int64_t day) {
  const std::string window = rfc3339(day * k_day) + "," + rfc3339((day + 1) * k_day);
  // 1. Node facts, joined on (cluster, node).
  KubecostConnection assets_conn = m_conn;
  assets_conn.request_timeout = m_s3cfg.assets_read_timeout;
  HttpClient assets_client(assets_conn);
  std::string aq =
      opencost()
          ? "/assets?window=" + url_encode(window) + "&filter=" + url_encode("assetType:\"node\"")
          : "/model/assets?window=" + url_encode(window) + "&filterTypes=Node&accumulate=true";
  auto assets_body = assets_client.get(aq);
  if (!assets_body.ok())
    return Failure{assets_body.failure().reason, "assets: " + assets_body.failure().message};
  auto nodes = parse_node_assets(assets_body.value().body);
  if (!nodes.ok()) return Failure{nodes.failure().reason, "assets: " + nodes.failure().message};

  // 2. The day's allocations, streamed into the Parquet writer.
  const std::string tmp = m_s3cfg.work_dir + "/" + iso_day(day) + "_" + m_arn.name +
                          ".parquet.part-" + std::to_string(::getpid());
  std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
  if (!file) return Failure{FailureReason::io, "cannot write " + tmp};
  struct Cleanup {
    std::string path;
    ~Cleanup() { std::filesystem::remove(path); }
  } cleanup{tmp};
  parquet::WriterOptions wopts;
  wopts.codec = m_s3cfg.compression == "zstd" ? parquet::Codec::zstd : parquet::Codec::snappy;
  parquet::Writer writer(dataset_schema(m_s3cfg), wopts, [&](std::string_view b) {
    return static_cast<bool>(file.write(b.data(), static_cast<std::streamsize>(b.size())));
  });
  const std::size_t first_prop = 3 + numeric_columns().size();
  const std::size_t first_label = first_prop + property_columns().size();
  const std::size_t first_annotation = first_label + m_s3cfg.labels.size();
  Outcome out;
  const NodeFacts none;
  auto write_row = [&](const ParsedAllocation& a) {
    writer.set_string(0, a.name);
    if (!std::isnan(a.window_start))
      writer.set_timestamp_micros(1, static_cast<std::int64_t>(std::llround(a.window_start * 1e6)));
    if (!std::isnan(a.window_end))
      writer.set_timestamp_micros(2, static_cast<std::int64_t>(std::llround(a.window_end * 1e6)));
    for (std::size_t i = 0; i < numeric_columns().size(); ++i)
      writer.set_double(3 + i, a.get(numeric_columns()[i].field));
    auto it = nodes.value().find({std::string(a.cluster), std::string(a.node)});
    const NodeFacts& n = it == nodes.value().end() ? none : it->second;
    const std::string_view props[] = {n.provider,
                                      m_region,
                                      a.cluster,
                                      m_s3cfg.cluster_arn,
                                      m_arn.name,
                                      a.container,
                                      a.namespace_name,
                                      a.pod,
                                      a.node,
                                      n.instance_type,
                                      n.availability_zone,
                                      n.capacity_type,
                                      n.architecture,
                                      n.os,
                                      n.nodegroup,
                                      n.nodegroup_image,
                                      a.controller,
                                      a.controller_kind,
                                      a.provider_id};
    for (std::size_t i = 0; i < property_columns().size(); ++i)
      if (!props[i].empty()) writer.set_string(first_prop + i, props[i]);
    for (std::size_t i = 0; i < m_s3cfg.labels.size(); ++i)
      if (a.label_values && !(*a.label_values)[i].empty())
        writer.set_string(first_label + i, (*a.label_values)[i]);
    for (std::size_t i = 0; i < m_s3cfg.annotations.size(); ++i)
      if (a.annotation_values && !(*a.annotation_values)[i].empty())
        writer.set_string(first_annotation + i, (*a.annotation_values)[i]);
    writer.end_row();
    ++out.rows;
    double cost = a.get(AllocField::total_cost);
    if (!std::isnan(cost)) out.total_cost += cost;
  };
  KubecostConnection conn = m_conn;
  conn.request_timeout = m_s3cfg.allocation_read_timeout;
  HttpClient client(conn);
  const std::string step = m_s3cfg.granularity == "daily" ? "1d" : "1h";
  std::vector<std::string> windows;
  if (m_s3cfg.paginate) {
    for (int h = 0; h < 24; ++h)
      windows.push_back(rfc3339(day * k_day + h * 3600) + "," +
                        rfc3339(day * k_day + (h + 1) * 3600));
  } else {
    windows.push_back(window);
  }
  for (const auto& w : windows) {
    std::string q =
        std::string(opencost() ? "/allocation" : "/model/allocation") + "?window=" + url_encode(w) +
        "&aggregate=" + url_encode(aggregate_for(m_s3cfg.aggregation)) + "&step=" + step +
        "&accumulate=false&resolution=" + url_encode(m_s3cfg.resolution) + idle_params();
    auto r = client.get(q);
    if (!r.ok()) return Failure{r.failure().reason, "allocation: " + r.failure().message};
    auto parsed =
        parse_allocations(r.value().body, m_options, write_row);
    if (!parsed.ok() && parsed.failure().reason != FailureReason::empty)
      return Failure{parsed.failure().reason, "allocation: " + parsed.failure().message};
  }
  if (out.rows == 0) return out;  // reported and skipped by the caller, never written empty
  auto summary = writer.finish();
  file.close();
  if (!summary.ok()) return summary.failure();
  if (!file) return Failure{FailureReason::io, "writing " + tmp + " failed"};
  out.bytes = summary.value().bytes;

  // 3. Upload: one PUT for small files, multipart for large ones; never a partial object.
  const std::string key = key_for(day);
  Expected<void> put;
  if (out.bytes <= m_s3cfg.multipart_threshold) {
    std::ifstream in(tmp, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    put = m_s3.put_object(m_s3cfg.bucket, key, ss.str());
  } else {
    const std::size_t part = std::max<std::size_t>(8u << 20, out.bytes / 9000 + 1);
    put = m_s3.put_file_multipart(m_s3cfg.bucket, key, tmp, part);
  }
  if (!put.ok()) return put.failure();
  return out;
}

void Exporter::push_metrics(bool ok, std::uint64_t days, std::uint64_t rows, std::uint64_t failed) {
  if (m_s3cfg.pushgateway_url.empty()) return;
  std::string body;
  auto gauge = [&](const char* name, const char* help, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    body += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n" + name +
            " " + buf + "\n";
  };
  if (ok)
    gauge("cloudtuner_kubecost_s3_export_last_success_timestamp_seconds",
          "Unix time of the last s3-export run that succeeded.",
          static_cast<double>(std::time(nullptr)));
  gauge("cloudtuner_kubecost_s3_export_days_written", "Cluster-days uploaded by the last run.",
        static_cast<double>(days));
  gauge("cloudtuner_kubecost_s3_export_rows_written", "Rows uploaded by the last run.",
        static_cast<double>(rows));
  gauge("cloudtuner_kubecost_s3_export_days_failed", "Cluster-days that failed in the last run.",
        static_cast<double>(failed));
  const std::string& url = m_s3cfg.pushgateway_url;
  auto path_start = url.find('/', url.find("://") + 3);
  httplib::Client http(url.substr(0, path_start));
  http.set_connection_timeout(5);
  http.set_read_timeout(10);
  std::string path = (path_start == std::string::npos ? "" : url.substr(path_start)) +
                     "/metrics/job/kubecost_s3_exporter/cluster/" +
                     aws::uri_encode(m_arn.name, true);
  auto r = http.Put(path, body, "text/plain; version=0.0.4");
  if (!r || r->status / 100 != 2)
    log::warn("pushgateway push failed",
              {{"url", redact_url(url)},
               {"status", r ? std::to_string(r->status) : httplib::to_string(r.error())}});
}

int Exporter::run() {
  auto creds = m_chain.get();
  if (!creds.ok()) {
    log::error("s3-export cannot get AWS credentials", {{"error", creds.failure().message}});
    push_metrics(false, 0, 0, 0);
    return 1;
  }
  log::info("aws credentials", {{"source", m_chain.describe()}, {"region", m_region}});
  if (!m_s3cfg.ca_secret_name.empty()) {
    auto ca =
        aws::get_secret_string(m_aws, m_chain, m_s3cfg.ca_secret_name, m_s3cfg.ca_secret_region);
    if (!ca.ok()) {
      log::error("s3-export cannot read the Kubecost CA", {{"error", ca.failure().message}});
      return 1;
    }
    const std::string path = m_s3cfg.work_dir + "/kubecost-ca.pem";
    std::ofstream(path) << ca.value();
    m_conn.ca_file = path;
  }
  const std::int64_t today = static_cast<std::int64_t>(std::time(nullptr)) / k_day;
  // Reconciled costs settle after about 48 hours: the period ends two days ago.
  const std::int64_t first = today - m_s3cfg.backfill_days, last = today - 2;
  log::info("s3-export back-fill period", {{"from", iso_day(first)},
                                           {"to", iso_day(last)},
                                           {"bucket", m_s3cfg.bucket},
                                           {"cluster", m_arn.name}});
  auto have = days_with_data(first, last);
  if (!have.ok()) {
    log::error("s3-export cannot ask Kubecost which days it has",
               {{"reason", to_string(have.failure().reason)}, {"error", have.failure().message}});
    push_metrics(false, 0, 0, 0);
    return 1;
  }
  auto in_s3 = days_in_s3(first, last);
  if (!in_s3.ok()) {
    log::error("s3-export cannot list the bucket", {{"error", in_s3.failure().message}});
    push_metrics(false, 0, 0, 0);
    return 1;
  }
  std::uint64_t written = 0, rows = 0, failed = 0;
  for (std::int64_t day = first; day <= last; ++day) {
    const std::string date = iso_day(day);
    if (in_s3.value().count(day)) {
      log::info("day already in S3: skipped", {{"day", date}});
      continue;
    }
    if (!have.value().count(day)) {
      log::warn("Kubecost has no data for the day: skipped, nothing written", {{"day", date}});
      continue;
    }
    auto r = export_day(day);
    if (!r.ok()) {
      ++failed;
      log::error("day export failed; the next run retries it",
                 {{"day", date},
                  {"reason", to_string(r.failure().reason)},
                  {"error", r.failure().message}});
      continue;
    }
    if (r.value().rows == 0) {
      log::warn("Kubecost returned no allocations for the day: skipped, nothing written",
                {{"day", date}});
      continue;
    }
    ++written;
    rows += r.value().rows;
    char cost[32];
    std::snprintf(cost, sizeof cost, "%.6f", r.value().total_cost);
    log::info("day exported", {{"day", date},
                               {"rows", std::to_string(r.value().rows)},
                               {"bytes", std::to_string(r.value().bytes)},
                               {"total_cost", cost},
                               {"object", "s3://" + m_s3cfg.bucket + "/" + key_for(day)}});
  }
  log::info("s3-export done", {{"days_written", std::to_string(written)},
                               {"rows", std::to_string(rows)},
                               {"days_failed", std::to_string(failed)}});
  push_metrics(failed == 0, written, rows, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int run_s3_export(const Config& config, const EnvLookup& env) {
  const auto& s3 = config.s3;
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
  std::string region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or(arn->region));
  Exporter exporter(config, env, *arn, region);
  return exporter.run();
}

}  // namespace kci

#include "exporter/app/s3_export_options.hpp"

namespace kci {

KubecostConnection s3_export_connection(const Config& config) {
  const S3ExportConfig& s3 = config.s3;
  KubecostConnection conn = config.kubecost;
  if (!s3.kubecost_endpoint.empty()) conn.url = s3.kubecost_endpoint;
  conn.connect_timeout = s3.connection_timeout;
  conn.insecure_skip_verify = conn.insecure_skip_verify || !s3.tls_verify;
  return conn;
}

S3ExportQueryOptions s3_export_query_options(const Config& config) {
  const S3ExportConfig& s3 = config.s3;
  S3ExportQueryOptions o;
  o.cluster_arn = s3.cluster_arn;
  o.aggregation = s3.aggregation;
  o.granularity = s3.granularity;
  o.paginate = s3.paginate;
  o.resolution = s3.resolution;
  o.allocation_read_timeout = s3.allocation_read_timeout;
  o.assets_read_timeout = s3.assets_read_timeout;
  o.labels = s3.labels;
  o.annotations = s3.annotations;
  return o;
}

S3ExportRunSettings s3_export_run_settings(const Config& config, const ClusterArn& cluster) {
  const S3ExportConfig& s3 = config.s3;
  S3ExportRunSettings settings;
  settings.cluster = cluster;
  settings.bucket = s3.bucket;
  settings.backfill_days = s3.backfill_days;
  settings.day.cluster = DatasetCluster{cluster.region, s3.cluster_arn, cluster.name};
  settings.day.hourly = s3.granularity != "daily";
  settings.day.reconcile_hourly = s3.reconcile_hourly;
  settings.day.label_keys = s3.labels;
  settings.day.annotation_keys = s3.annotations;
  settings.day.work_dir = s3.work_dir;
  settings.day.codec = s3.compression == "zstd" ? parquet::Codec::zstd : parquet::Codec::snappy;
  settings.day.upload.multipart_threshold = s3.multipart_threshold;
  return settings;
}

}  // namespace kci

#include <catch2/catch.hpp>

#include <mutex>

#include "exporter/s3export/pushgateway.hpp"
#include "local_http_server.hpp"
#include "s3export/s3export_fakes.hpp"

using namespace kci;
using namespace kci::test;

TEST_CASE("pushgateway body: a successful run, exact text") {
  const std::string want =
      "# HELP cloudtuner_kubecost_s3_export_last_success_timestamp_seconds Unix time of the last "
      "s3-export run that succeeded.\n"
      "# TYPE cloudtuner_kubecost_s3_export_last_success_timestamp_seconds gauge\n"
      "cloudtuner_kubecost_s3_export_last_success_timestamp_seconds 1710765000\n"
      "# HELP cloudtuner_kubecost_s3_export_days_written Cluster-days uploaded by the last run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_written gauge\n"
      "cloudtuner_kubecost_s3_export_days_written 3\n"
      "# HELP cloudtuner_kubecost_s3_export_rows_written Rows uploaded by the last run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_rows_written gauge\n"
      "cloudtuner_kubecost_s3_export_rows_written 123456789\n"
      "# HELP cloudtuner_kubecost_s3_export_days_failed Cluster-days that failed in the last "
      "run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_failed gauge\n"
      "cloudtuner_kubecost_s3_export_days_failed 0\n"
      "# HELP cloudtuner_kubecost_s3_export_assets_failures Cluster-days of the last run exported "
      "while the Assets API failed (node columns only from the node labels on the allocations).\n"
      "# TYPE cloudtuner_kubecost_s3_export_assets_failures gauge\n"
      "cloudtuner_kubecost_s3_export_assets_failures 1\n"
      "# HELP cloudtuner_kubecost_s3_export_days_daily_fallback Cluster-days of the last run "
      "exported from Kubecost's ETL daily sets because the On-Demand API could not answer their "
      "hours whole (GRANULARITY=hourly).\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_daily_fallback gauge\n"
      "cloudtuner_kubecost_s3_export_days_daily_fallback 2\n";
  CHECK(pushgateway_body(RunReport{true, 3, 123456789, 0, 1710765000, 1, 2}) == want);
}

TEST_CASE("pushgateway body: a failed run has no last-success gauge") {
  const std::string want =
      "# HELP cloudtuner_kubecost_s3_export_days_written Cluster-days uploaded by the last run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_written gauge\n"
      "cloudtuner_kubecost_s3_export_days_written 1\n"
      "# HELP cloudtuner_kubecost_s3_export_rows_written Rows uploaded by the last run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_rows_written gauge\n"
      "cloudtuner_kubecost_s3_export_rows_written 24\n"
      "# HELP cloudtuner_kubecost_s3_export_days_failed Cluster-days that failed in the last "
      "run.\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_failed gauge\n"
      "cloudtuner_kubecost_s3_export_days_failed 2\n"
      "# HELP cloudtuner_kubecost_s3_export_assets_failures Cluster-days of the last run exported "
      "while the Assets API failed (node columns only from the node labels on the allocations).\n"
      "# TYPE cloudtuner_kubecost_s3_export_assets_failures gauge\n"
      "cloudtuner_kubecost_s3_export_assets_failures 0\n"
      "# HELP cloudtuner_kubecost_s3_export_days_daily_fallback Cluster-days of the last run "
      "exported from Kubecost's ETL daily sets because the On-Demand API could not answer their "
      "hours whole (GRANULARITY=hourly).\n"
      "# TYPE cloudtuner_kubecost_s3_export_days_daily_fallback gauge\n"
      "cloudtuner_kubecost_s3_export_days_daily_fallback 0\n";
  CHECK(pushgateway_body(RunReport{false, 1, 24, 2, 1710765000}) == want);
}

TEST_CASE("pushgateway target: the URL's path prefix, the job and the encoded cluster") {
  auto plain = push_target("http://pushgateway:9091", "eks-test");
  CHECK(plain.base_url == "http://pushgateway:9091");
  CHECK(plain.path == "/metrics/job/kubecost_s3_exporter/cluster/eks-test");
  auto prefixed = push_target("https://gw.example/push", "a b/c");
  CHECK(prefixed.base_url == "https://gw.example");
  CHECK(prefixed.path == "/push/metrics/job/kubecost_s3_exporter/cluster/a%20b%2Fc");
}

TEST_CASE("pushgateway: one PUT of the body in text format 0.0.4") {
  LocalServer server;
  std::mutex mutex;
  std::vector<std::string> seen;
  server.server.Put(".*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    seen.push_back(req.method + " " + req.path + " " + req.get_header_value("Content-Type"));
    seen.push_back(req.body);
    res.status = 200;
  });
  server.start();
  const RunReport report{true, 1, 10, 0, 1710765000};
  Pushgateway("http://127.0.0.1:" + std::to_string(server.port) + "/gw", "eks-test").report(report);
  std::lock_guard lock(mutex);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] ==
        "PUT /gw/metrics/job/kubecost_s3_exporter/cluster/eks-test text/plain; version=0.0.4");
  CHECK(seen[1] == pushgateway_body(report));
}

TEST_CASE("pushgateway: a refused push is a warning naming the status") {
  LocalServer server;
  server.server.Put(".*",
                    [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  server.start();
  LogCapture logs;
  Pushgateway("http://127.0.0.1:" + std::to_string(server.port), "eks-test").report(RunReport{});
  CHECK(logs.lines_with({"level=warn", "pushgateway push failed", "status=503"}).size() == 1);
}

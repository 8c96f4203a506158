// KubecostSource against an in-process server: flavour detection.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "collecting_sink.hpp"
#include "exporter/kubecost/kubecost_query.hpp"
#include "exporter/kubecost/kubecost_source.hpp"
#include "local_http_server.hpp"

using namespace kci;
using kci::test::LocalServer;

TEST_CASE("kubecost source: flavour auto falls back to OpenCost's /allocation on 404",
          "[threads]") {
  std::vector<std::string> paths;
  LocalServer s;
  s.server.Get("/allocation", [&](const httplib::Request& req, httplib::Response& res) {
    paths.push_back(req.path);
    CHECK(req.get_param_value("includeIdle") == "true");
    CHECK(req.get_param_value("aggregate") == "namespace");
    res.set_content(R"({"code":200,"data":[{"a":{"totalCost":1}}]})", "application/json");
  });
  s.start();  // /model/allocation: httplib's 404
  auto connection = s.connection<KubecostConnection>();
  connection.flavour = Flavour::auto_detect;
  KubecostSource source(connection, AllocationQueryOptions{});
  kci::test::CollectingSink sink;
  REQUIRE(source.fetch(sink).ok());
  CHECK(sink.body == R"({"code":200,"data":[{"a":{"totalCost":1}}]})");
  REQUIRE(source.fetch(sink).ok());
  CHECK(paths.size() == 2);  // the second poll goes straight to the detected path
}

TEST_CASE("kubecost source: both idle parameters on both paths (OpenCost reads only includeIdle)",
          "[threads]") {
  AllocationQueryOptions query;
  for (Flavour f : {Flavour::kubecost, Flavour::opencost}) {
    const std::string q = allocation_request(query, f);
    INFO(q);
    CHECK(q.find("&idle=true&includeIdle=true") != std::string::npos);
    CHECK(q.find("splitIdle") == std::string::npos);
    CHECK(q.find("filter=") == std::string::npos);
  }
  query.include_idle = false;
  CHECK(allocation_request(query, Flavour::kubecost).find("&idle=false&includeIdle=false") !=
        std::string::npos);
}

TEST_CASE("kubecost source: the default window is 24h", "[threads]") {
  AllocationQueryOptions query;
  CHECK(allocation_request(query, Flavour::kubecost).find("window=24h&") != std::string::npos);
}

TEST_CASE("kubecost source: a cluster id filters with the v2 language, percent-encoded",
          "[threads]") {
  AllocationQueryOptions query;
  query.cluster_id = "prod eu+1";
  const std::string q = allocation_request(query, Flavour::kubecost);
  CHECK(q.find("&filter=cluster%3A%22prod%20eu%2B1%22") != std::string::npos);
  CHECK(q.find("aggregate=namespace&") != std::string::npos);
}

TEST_CASE("kubecost source: multiCluster aggregates by cluster first and splits idle",
          "[threads]") {
  AllocationQueryOptions query;
  query.multi_cluster = true;
  CHECK(allocation_request(query, Flavour::kubecost).find("aggregate=cluster%2Cnamespace&") !=
        std::string::npos);
  CHECK(allocation_request(query, Flavour::kubecost).find("&splitIdle=true") != std::string::npos);
  query.pod_metrics = true;
  CHECK(allocation_request(query, Flavour::opencost)
            .find("/allocation?window=24h&aggregate=cluster%2Cnamespace%2Cpod&") == 0);
  CHECK(label_allocation_request(query, Flavour::kubecost, "app.kubernetes.io/name")
            .find("aggregate=cluster%2Clabel%3Aapp.kubernetes.io%2Fname&") != std::string::npos);
  query.multi_cluster = false;
  CHECK(
      label_allocation_request(query, Flavour::kubecost, "team").find("aggregate=label%3Ateam&") !=
      std::string::npos);
}

TEST_CASE("kubecost source: label answers use the detected flavour's path", "[threads]") {
  std::vector<std::string> paths;
  LocalServer s;
  s.server.Get("/allocation", [&](const httplib::Request& req, httplib::Response& res) {
    paths.push_back(req.get_param_value("aggregate"));
    res.set_content(R"({"code":200,"data":[{"a":{"totalCost":1}}]})", "application/json");
  });
  s.start();
  auto connection = s.connection<KubecostConnection>();
  connection.flavour = Flavour::auto_detect;
  KubecostSource source(connection, AllocationQueryOptions{});
  CHECK(source.has_label_aggregation());
  kci::test::CollectingSink sink;
  REQUIRE(source.fetch(sink).ok());
  REQUIRE(source.fetch_label("team", sink).ok());
  CHECK(paths == std::vector<std::string>{"namespace", "label:team"});
}

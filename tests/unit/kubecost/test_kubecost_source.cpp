// KubecostSource against an in-process server: flavour detection.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "collecting_sink.hpp"
#include "exporter/kubecost/kubecost_source.hpp"
#include "local_http_server.hpp"

using namespace kci;
using kci::test::LocalServer;

TEST_CASE("kubecost source: flavour auto falls back to OpenCost's /allocation on 404") {
  std::vector<std::string> paths;
  LocalServer s;
  s.server.Get("/allocation", [&](const httplib::Request& req, httplib::Response& res) {
    paths.push_back(req.path);
    CHECK(req.get_param_value("includeIdle") == "true");
    CHECK(req.get_param_value("aggregate") == "namespace");
    res.set_content(R"({"code":200,"data":[{"a":{"totalCost":1}}]})", "application/json");
  });
  s.start();  // /model/allocation: httplib's 404
  Config config;
  config.kubecost = s.connection<KubecostConnection>();
  config.kubecost.flavour = Flavour::auto_detect;
  KubecostSource source(config);
  kci::test::CollectingSink sink;
  REQUIRE(source.fetch(sink).ok());
  CHECK(sink.body == R"({"code":200,"data":[{"a":{"totalCost":1}}]})");
  REQUIRE(source.fetch(sink).ok());
  CHECK(paths.size() == 2);  // the second poll goes straight to the detected path
}

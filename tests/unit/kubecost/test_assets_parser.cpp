#include <catch2/catch.hpp>

#include "exporter/kubecost/assets_parser.hpp"
#include "test_support.hpp"

using namespace kci;

TEST_CASE("assets: Kubecost docs sample (array of sets, old label_ spelling)") {
  std::string body =
      kci::test::sample("kubecost_docs_assets-api_window-1w_aggregate-type_accumulate-true.json");
  // Aggregated by type, the node has no name: nothing to join on.
  auto aggregated = parse_node_assets(body);
  REQUIRE(aggregated.ok());
  CHECK(aggregated.value().empty());
  // The same node, named as an unaggregated answer names it.
  const std::string marker = R"("type": "Node",)";
  auto pos = body.find(marker);
  REQUIRE(pos != std::string::npos);
  body.insert(body.find("\"properties\": {", pos) + 15, R"("name": "gke-node-1", )");
  auto r = parse_node_assets(body);
  REQUIRE(r.ok());
  auto f = r.value().at({"cluster-one", "gke-node-1"});
  CHECK(f.provider == "GCP");
  CHECK(f.availability_zone == "us-central1-a");
  CHECK(f.region == "us-central1");
  CHECK(f.architecture == "amd64");
  CHECK(f.os == "linux");
}

TEST_CASE("assets: EKS, Karpenter and preemptible capacity types; both label spellings") {
  auto r = parse_node_assets(R"({"code":200,"data":[{
    "a":{"type":"Node","properties":{"cluster":"c","name":"n1","provider":"AWS"},
         "labels":{"label_node_kubernetes_io_instance_type":"m5.large","eks_amazonaws_com_capacityType":"ON_DEMAND",
                   "topology_kubernetes_io_zone":"us-east-1a","kubernetes_io_arch":"arm64","kubernetes_io_os":"linux",
                   "eks_amazonaws_com_nodegroup":"ng-1","eks_amazonaws_com_nodegroup_image":"ami-1"}},
    "b":{"type":"Node","properties":{"cluster":"c","name":"n2"},"nodeType":"c6g.xlarge",
         "labels":{"karpenter_sh_capacity_type":"spot","karpenter_sh_nodepool":"default"}},
    "d":{"type":"Node","properties":{"cluster":"c","name":"n3"},"preemptible":1,"pool":"pool-x","labels":null},
    "e":{"type":"Disk","properties":{"cluster":"c","name":"pv-1"}}}]})");
  REQUIRE(r.ok());
  auto& m = r.value();
  REQUIRE(m.size() == 3);
  auto n1 = m.at({"c", "n1"});
  CHECK(n1.instance_type == "m5.large");
  CHECK(n1.capacity_type == "on-demand");
  CHECK(n1.availability_zone == "us-east-1a");
  CHECK(n1.architecture == "arm64");
  CHECK(n1.nodegroup == "ng-1");
  CHECK(n1.nodegroup_image == "ami-1");
  CHECK(n1.provider == "AWS");
  auto n2 = m.at({"c", "n2"});
  CHECK(n2.instance_type == "c6g.xlarge");
  CHECK(n2.capacity_type == "spot");
  CHECK(n2.nodegroup == "default");
  auto n3 = m.at({"c", "n3"});
  CHECK(n3.capacity_type == "spot");
  CHECK(n3.nodegroup == "pool-x");
}

TEST_CASE("assets: OpenCost's single-map data and bad bodies") {
  auto r = parse_node_assets(
      R"({"code":200,"data":{"x":{"type":"Node","properties":{"cluster":"c","name":"n"},"nodeType":"e2-small"}}})");
  REQUIRE(r.ok());
  CHECK(r.value().at({"c", "n"}).instance_type == "e2-small");
  CHECK(parse_node_assets("").failure().reason == FailureReason::empty);
  CHECK(parse_node_assets("<html>").failure().reason == FailureReason::parse);
  CHECK(parse_node_assets(R"({"data":[{"x":{"type":"Node",)").failure().reason ==
        FailureReason::parse);
  CHECK(parse_node_assets(R"({"code":500,"data":null})").failure().reason ==
        FailureReason::http_status);
}

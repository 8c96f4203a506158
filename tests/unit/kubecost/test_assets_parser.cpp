#include <catch2/catch.hpp>

#include "exporter/kubecost/assets_parser.hpp"
#include "test_support.hpp"

using namespace kci;

TEST_CASE("assets: Kubecost aggregate=type answer (array of sets, old label_ spelling)") {
  std::string body = kci::test::sample("kubecost_assets_aggregate-type_accumulate.json");
  // Aggregated by type, the node has no name: nothing to join on.
  auto aggregated = parse_node_assets(body);
  REQUIRE(aggregated.ok());
  CHECK(aggregated.value().empty());
  // The same node, named as an unaggregated answer names it.
  const std::string marker = R"("type": "Node",)";
  auto pos = body.find(marker);
  REQUIRE(pos != std::string::npos);
  body.insert(body.find("\"properties\": {", pos) + 15,
              R"("name": "gke-shop-arm-pool-3f9a-k2lm", )");
  auto r = parse_node_assets(body);
  REQUIRE(r.ok());
  REQUIRE(r.value().size() == 1);
  auto f = r.value().at({"gke-shop", "gke-shop-arm-pool-3f9a-k2lm"});
  CHECK(f.provider == "GCP");
  // Every attribute below is read through a label_-prefixed key; nodeType is "".
  CHECK(f.instance_type == "t2a-standard-4");
  CHECK(f.availability_zone == "europe-west4-b");
  CHECK(f.region == "europe-west4");
  CHECK(f.architecture == "arm64");
  CHECK(f.os == "linux");
  CHECK(f.nodegroup == "arm-pool");
  CHECK(f.capacity_type == "on-demand");  // preemptible 0.000000
}

TEST_CASE("assets: OpenCost answer with data as one map (sanitized labels, nodeType, pool)") {
  auto r = parse_node_assets(kci::test::sample("opencost_assets_map-data_gke.json"));
  REQUIRE(r.ok());
  auto& m = r.value();
  REQUIRE(m.size() == 2);  // the Disk is not a node
  auto spot = m.at({"gke-analytics", "gke-analytics-spot-pool-9c1e77b2-tq5w"});
  CHECK(spot.provider == "GCP");
  CHECK(spot.instance_type == "e2-medium");
  CHECK(spot.capacity_type == "spot");
  CHECK(spot.nodegroup == "spot-pool");
  CHECK(spot.availability_zone == "us-central1-f");
  CHECK(spot.region == "us-central1");
  CHECK(spot.architecture == "amd64");
  auto general = m.at({"gke-analytics", "gke-analytics-general-4d2a10f3-8hjn"});
  CHECK(general.instance_type == "n2-standard-4");
  CHECK(general.capacity_type == "on-demand");
  CHECK(general.nodegroup == "general");
  CHECK(general.availability_zone == "us-central1-c");
}

TEST_CASE("assets: truncated and elided answers fail with reason parse") {
  for (const char* name : {"refused/kubecost_assets_aggregate-type_truncated.txt",
                           "refused/opencost_assets_gke_elided.txt"}) {
    INFO(name);
    auto r = parse_node_assets(kci::test::sample(name));
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::parse);
  }
}

TEST_CASE("assets: capacity type is the EKS / Karpenter label's own value, as AWS writes it") {
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
  CHECK(n1.capacity_type == "ON_DEMAND");  // not rewritten: AWS's files hold the label value
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

TEST_CASE("assets: an AWS node without a capacity label has \"\" (no guess from preemptible)") {
  auto r = parse_node_assets(R"({"code":200,"data":[{
    "a":{"type":"Node","properties":{"cluster":"c","name":"n1","provider":"AWS"},"preemptible":0,
         "labels":{"eks_amazonaws_com_capacityType":"SPOT"}},
    "b":{"type":"Node","properties":{"cluster":"c","name":"n2","provider":"AWS"},"preemptible":0,
         "labels":{"label_karpenter_sh_capacity_type":"on-demand"}},
    "c":{"type":"Node","properties":{"cluster":"c","name":"n3","provider":"AWS"},"preemptible":1}}]})");
  REQUIRE(r.ok());
  CHECK(r.value().at({"c", "n1"}).capacity_type == "SPOT");
  CHECK(r.value().at({"c", "n2"}).capacity_type == "on-demand");
  CHECK(r.value().at({"c", "n3"}).capacity_type.empty());
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

TEST_CASE("assets: node facts from the node labels Kubecost copied onto an allocation") {
  const auto& keys = node_label_keys();
  REQUIRE(keys.size() == 12);
  auto value = [&](std::vector<std::string_view>& values, std::string_view key,
                   std::string_view v) {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) values[i] = v;
  };
  std::vector<std::string_view> values(keys.size());
  value(values, "node_kubernetes_io_instance_type", "m6i.large");
  value(values, "topology_kubernetes_io_zone", "eu-west-1c");
  value(values, "karpenter_sh_capacity_type", "spot");
  value(values, "karpenter_sh_nodepool", "default");
  value(values, "kubernetes_io_arch", "amd64");
  const NodeFacts f = node_facts_from_labels(values);
  CHECK(f.instance_type == "m6i.large");
  CHECK(f.availability_zone == "eu-west-1c");
  CHECK(f.capacity_type == "spot");  // the label's own value, as AWS writes it
  CHECK(f.nodegroup == "default");
  CHECK(f.architecture == "amd64");
  CHECK(f.os.empty());
  CHECK(f.provider.empty());
  // Fewer values than keys (an allocation without node labels): nothing known, no crash.
  CHECK(node_facts_from_labels({}).instance_type.empty());
}

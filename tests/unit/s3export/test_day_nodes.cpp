#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "exporter/s3export/day_nodes.hpp"

using namespace kci;

namespace {

ParsedAllocation row(std::string_view cluster, std::string_view node,
                     const std::vector<std::string_view>* labels) {
  ParsedAllocation a;
  a.values.fill(0);
  a.cluster = cluster;
  a.node = node;
  a.label_values = labels;
  return a;
}

}  // namespace

TEST_CASE("day nodes: the Assets answer first, else the node's labels, worked out per node") {
  NodeFactsMap assets;
  assets[{"c", "node-a"}].instance_type = "m5.large";
  DayNodes nodes(assets, 1);  // one configured label ("team") before the node labels
  // node-a is in the Assets answer: its facts, whatever the row's labels say.
  std::vector<std::string_view> a_labels = {"platform", "c6g.xlarge"};
  CHECK(nodes.of(row("c", "node-a", &a_labels)).instance_type == "m5.large");
  // node-b is not: the node labels on its rows (node_label_keys() order: instance type first).
  std::vector<std::string_view> b_labels = {"platform", "c6g.xlarge", "", "us-east-1b"};
  CHECK(nodes.of(row("c", "node-b", &b_labels)).instance_type == "c6g.xlarge");
  CHECK(nodes.of(row("c", "node-b", &b_labels)).availability_zone == "us-east-1b");
  // Another row of node-b with other label values: worked out again, not the cached facts.
  std::vector<std::string_view> relabelled = {"web", "r6g.large"};
  CHECK(nodes.of(row("c", "node-b", &relabelled)).instance_type == "r6g.large");
  CHECK(nodes.of(row("c", "node-b", &relabelled)).availability_zone.empty());
  // A row without node labels (an idle row) has no node facts, even on a node seen before.
  std::vector<std::string_view> own_only = {"platform"};
  CHECK(nodes.of(row("c", "node-b", &own_only)).instance_type.empty());
  CHECK(nodes.of(row("c", "node-b", nullptr)).instance_type.empty());
  // The same node name in another cluster is another node.
  CHECK(nodes.of(row("d", "node-a", &b_labels)).instance_type == "c6g.xlarge");
}

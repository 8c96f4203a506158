#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

#include "exporter/s3export/dataset_columns.hpp"

using namespace kci;

namespace {

const std::vector<std::string> k_labels = {"app.kubernetes.io/name", "team"};
const std::vector<std::string> k_annotations = {"owner"};

// The AWS containers-cost-allocation dataset's numeric columns and the Kubecost field each
// holds, in the dataset's order.
const std::vector<std::pair<std::string, AllocField>> k_numeric = {
    {"minutes", AllocField::minutes},
    {"cpuCores", AllocField::cpu_cores},
    {"cpuCoreRequestAverage", AllocField::cpu_core_request_average},
    {"cpuCoreUsageAverage", AllocField::cpu_core_usage_average},
    {"cpuCoreHours", AllocField::cpu_core_hours},
    {"cpuCost", AllocField::cpu_cost},
    {"cpuCostAdjustment", AllocField::cpu_cost_adjustment},
    {"cpuEfficiency", AllocField::cpu_efficiency},
    {"gpuCount", AllocField::gpu_count},
    {"gpuHours", AllocField::gpu_hours},
    {"gpuCost", AllocField::gpu_cost},
    {"gpuCostAdjustment", AllocField::gpu_cost_adjustment},
    {"networkTransferBytes", AllocField::network_transfer_bytes},
    {"networkReceiveBytes", AllocField::network_receive_bytes},
    {"networkCost", AllocField::network_cost},
    {"networkCrossZoneCost", AllocField::network_cross_zone_cost},
    {"networkCrossRegionCost", AllocField::network_cross_region_cost},
    {"networkInternetCost", AllocField::network_internet_cost},
    {"networkCostAdjustment", AllocField::network_cost_adjustment},
    {"loadBalancerCost", AllocField::load_balancer_cost},
    {"loadBalancerCostAdjustment", AllocField::load_balancer_cost_adjustment},
    {"pvBytes", AllocField::pv_bytes},
    {"pvByteHours", AllocField::pv_byte_hours},
    {"pvCost", AllocField::pv_cost},
    {"pvCostAdjustment", AllocField::pv_cost_adjustment},
    {"ramBytes", AllocField::ram_bytes},
    {"ramByteRequestAverage", AllocField::ram_byte_request_average},
    {"ramByteUsageAverage", AllocField::ram_byte_usage_average},
    {"ramByteHours", AllocField::ram_byte_hours},
    {"ramCost", AllocField::ram_cost},
    {"ramCostAdjustment", AllocField::ram_cost_adjustment},
    {"ramEfficiency", AllocField::ram_efficiency},
    {"sharedCost", AllocField::shared_cost},
    {"externalCost", AllocField::external_cost},
    {"totalCost", AllocField::total_cost},
    {"totalEfficiency", AllocField::total_efficiency},
};

// Each string column and the distinct value the full row below gives it.
const std::vector<std::pair<std::string, std::string>> k_strings = {
    {"name", "the-name"},
    {"properties.provider", "AWS"},
    {"properties.region", "eu-west-1"},
    {"properties.cluster", "cluster-one"},
    {"properties.clusterid", "arn:aws:eks:us-east-1:111122223333:cluster/eks-test"},
    {"properties.eksClusterName", "eks-test"},
    {"properties.container", "app"},
    {"properties.namespace", "web"},
    {"properties.pod", "web-0"},
    {"properties.node", "node-a"},
    {"properties.node_instance_type", "m5.large"},
    {"properties.node_availability_zone", "us-east-1a"},
    {"properties.node_capacity_type", "spot"},
    {"properties.node_architecture", "arm64"},
    {"properties.node_os", "linux"},
    {"properties.node_nodegroup", "ng-1"},
    {"properties.node_nodegroup_image", "ami-1"},
    {"properties.controller", "web-deploy"},
    {"properties.controllerKind", "deployment"},
    {"properties.providerID", "i-0abc"},
    {"properties.labels.app.kubernetes.io/name", "shop"},
    {"properties.labels.team", "platform"},
    {"properties.annotations.owner", "équipe"},
};

struct FullRow {
  std::vector<std::string_view> labels{"shop", "platform"};
  std::vector<std::string_view> annotations{"équipe"};
  ParsedAllocation a;
  NodeFacts node{"AWS",   "m5.large", "us-east-1a", "us-east-1", "spot",
                 "arm64", "linux",    "ng-1",       "ami-1"};
  DatasetCluster cluster{"eu-west-1", "arn:aws:eks:us-east-1:111122223333:cluster/eks-test",
                         "eks-test"};
  FullRow() {
    a.name = "the-name";
    a.cluster = "cluster-one";
    a.container = "app";
    a.namespace_name = "web";
    a.pod = "web-0";
    a.node = "node-a";
    a.controller = "web-deploy";
    a.controller_kind = "deployment";
    a.provider_id = "i-0abc";
    a.window_start = 1710720000;  // 2024-03-18T00:00:00Z
    a.window_end = 1710723600.25;
    for (std::size_t i = 0; i < k_alloc_field_count; ++i) a.values[i] = 100.0 + i;
    a.label_values = &labels;
    a.annotation_values = &annotations;
  }
  DatasetRow row() const { return DatasetRow{a, node, cluster}; }
};

std::map<std::string, CellValue> cells(const std::vector<DatasetColumn>& columns,
                                       const DatasetRow& row) {
  std::map<std::string, CellValue> out;
  for (const auto& c : columns) out[c.name] = c.value(row);
  return out;
}

}  // namespace

TEST_CASE("dataset columns: the schema is the AWS dataset's, in its order, with key columns") {
  const auto columns = dataset_columns(k_labels, k_annotations);
  const auto schema = dataset_schema(columns);
  REQUIRE(schema.size() == 3 + 36 + 19 + 2 + 1);
  CHECK(schema[0].name == "name");
  CHECK(schema[0].type == parquet::ColumnType::string);
  CHECK(schema[1].name == "window.start");
  CHECK(schema[1].type == parquet::ColumnType::local_timestamp_nanos);  // naive NANOS, as AWS's
  CHECK(schema[2].name == "window.end");
  CHECK(schema[2].type == parquet::ColumnType::local_timestamp_nanos);
  for (std::size_t i = 0; i < k_numeric.size(); ++i) {
    CHECK(schema[3 + i].name == k_numeric[i].first);
    CHECK(schema[3 + i].type == parquet::ColumnType::float64);
  }
  // The 19 properties follow in the dataset's order (k_strings lists them after "name").
  for (std::size_t i = 0; i < 19 + 3; ++i) {
    CHECK(schema[39 + i].name == k_strings[1 + i].first);
    CHECK(schema[39 + i].type == parquet::ColumnType::string);
  }
  CHECK(schema[58].name == "properties.labels.app.kubernetes.io/name");
  CHECK(schema[60].name == "properties.annotations.owner");
  std::set<std::string> names;
  for (const auto& c : schema) names.insert(c.name);
  CHECK(names.size() == schema.size());
}

TEST_CASE("dataset columns: without label or annotation keys, only the fixed 58 columns") {
  const auto schema = dataset_schema(dataset_columns({}, {}));
  REQUIRE(schema.size() == 58);
  CHECK(schema.back().name == "properties.providerID");
}

TEST_CASE("dataset columns: every numeric column reads its own Kubecost field") {
  const FullRow full;
  const auto values = cells(dataset_columns(k_labels, k_annotations), full.row());
  for (const auto& [name, field] : k_numeric) {
    INFO(name);
    const auto* v = std::get_if<double>(&values.at(name));
    REQUIRE(v);
    CHECK(*v == 100.0 + static_cast<double>(field));
  }
}

TEST_CASE("dataset columns: every string column reads its own source") {
  const FullRow full;
  const auto values = cells(dataset_columns(k_labels, k_annotations), full.row());
  for (const auto& [name, want] : k_strings) {
    INFO(name);
    const auto* v = std::get_if<std::string_view>(&values.at(name));
    REQUIRE(v);
    CHECK(*v == want);
  }
}

TEST_CASE("dataset columns: window bounds in nanoseconds, out of range as NULL") {
  FullRow full;
  auto values = cells(dataset_columns({}, {}), full.row());
  CHECK(std::get<std::int64_t>(values.at("window.start")) == 1710720000000000000);
  CHECK(std::get<std::int64_t>(values.at("window.end")) == 1710723600250000000);
  full.a.window_start = 1e10;  // year 2286: past int64 nanoseconds
  full.a.window_end = -1e10;
  values = cells(dataset_columns({}, {}), full.row());
  CHECK(std::holds_alternative<std::monostate>(values.at("window.start")));
  CHECK(std::holds_alternative<std::monostate>(values.at("window.end")));
}

TEST_CASE("dataset columns: the provider without a node match is AWS's for i- ids only") {
  FullRow full;
  const NodeFacts unknown;
  for (const auto& [id, want] : std::vector<std::pair<std::string_view, std::string_view>>{
           {"i-0abc", "AWS"}, {"", ""}, {"gce://p/z/n", ""}, {"i", ""}, {"azure:///i-x", ""}}) {
    full.a.provider_id = id;
    const DatasetRow row{full.a, unknown, full.cluster};
    CHECK(std::get<std::string_view>(
              cells(dataset_columns({}, {}), row).at("properties.provider")) == want);
  }
}

TEST_CASE("dataset columns: absent strings are \"\" as in AWS's files; numbers stay NULL") {
  FullRow full;
  full.a.window_start = NAN;
  full.a.container = "";
  full.a.values[static_cast<std::size_t>(AllocField::pv_cost)] = NAN;
  full.labels[1] = "";
  full.a.annotation_values = nullptr;
  const NodeFacts unknown;
  const DatasetRow row{full.a, unknown, full.cluster};
  const auto values = cells(dataset_columns(k_labels, k_annotations), row);
  CHECK(std::holds_alternative<std::monostate>(values.at("window.start")));
  CHECK(std::holds_alternative<std::int64_t>(values.at("window.end")));
  CHECK(std::get<std::string_view>(values.at("properties.container")).empty());
  CHECK(std::get<std::string_view>(values.at("properties.node_instance_type")).empty());
  // No node match: AWS's rule, an EC2 instance id (providerID i-0abc) is "AWS".
  CHECK(std::get<std::string_view>(values.at("properties.provider")) == "AWS");
  CHECK(std::get<std::string_view>(values.at("properties.labels.team")).empty());
  CHECK(std::get<std::string_view>(values.at("properties.labels.app.kubernetes.io/name")) ==
        "shop");
  CHECK(std::get<std::string_view>(values.at("properties.annotations.owner")).empty());
  // A NaN number stays a double: the writer turns NaN into NULL.
  CHECK(std::isnan(std::get<double>(values.at("pvCost"))));
}

TEST_CASE("dataset columns: each column's values are of its declared type") {
  FullRow full;
  const auto columns = dataset_columns(k_labels, k_annotations);
  for (const auto& c : columns) {
    INFO(c.name);
    const CellValue v = c.value(full.row());
    switch (c.type) {
      case parquet::ColumnType::string:
        CHECK(std::holds_alternative<std::string_view>(v));
        break;
      case parquet::ColumnType::float64:
        CHECK(std::holds_alternative<double>(v));
        break;
      case parquet::ColumnType::timestamp_micros:
      case parquet::ColumnType::local_timestamp_micros:
      case parquet::ColumnType::local_timestamp_nanos:
        CHECK(std::holds_alternative<std::int64_t>(v));
        break;
    }
  }
}

TEST_CASE("dataset columns: rows written through the table make a Parquet file") {
  const auto columns = dataset_columns(k_labels, k_annotations);
  std::string file;
  parquet::Writer writer(dataset_schema(columns), {}, [&](std::string_view b) {
    file.append(b);
    return true;
  });
  FullRow full;
  write_dataset_row(writer, columns, full.row());
  full.a.window_start = NAN;
  full.labels[0] = "";
  write_dataset_row(writer, columns, full.row());
  auto summary = writer.finish();
  REQUIRE(summary.ok());
  CHECK(summary.value().rows == 2);
  CHECK(summary.value().bytes == file.size());
  CHECK(file.substr(0, 4) == "PAR1");
  CHECK(file.substr(file.size() - 4) == "PAR1");
}

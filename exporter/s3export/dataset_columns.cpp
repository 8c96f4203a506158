#include "exporter/s3export/dataset_columns.hpp"

#include <cmath>

namespace kci {
namespace {

using TextOf = std::function<std::string_view(const DatasetRow&)>;

DatasetColumn text(std::string name, TextOf get) {
  return {std::move(name), parquet::ColumnType::string,
          [get = std::move(get)](const DatasetRow& row) -> CellValue {
            return get(row);  // "" when there is no value, as in AWS's files
          }};
}

DatasetColumn number(std::string name, AllocField field) {
  return {std::move(name), parquet::ColumnType::float64,
          [field](const DatasetRow& row) -> CellValue { return row.allocation.get(field); }};
}

DatasetColumn timestamp(std::string name, double ParsedAllocation::*seconds) {
  // Naive (isAdjustedToUTC=false) NANOS UTC wall-clock time, as AWS's files hold
  // `window.start`/`window.end`: main.py kubecost_allocation_data_to_parquet takes
  // pd.to_datetime of "YYYY-MM-DD HH:MM:SS.000" without a zone (datetime64[ns]) and writes it
  // with df.to_parquet(engine="pyarrow"); its requirements.txt pins pyarrow 14.0.2, whose default
  // format version 2.6 (since Arrow 13, apache/arrow PR #36137) stores nanoseconds as they are.
  // Readers in any time zone see the UTC day.
  return {std::move(name), parquet::ColumnType::local_timestamp_nanos,
          [seconds](const DatasetRow& row) -> CellValue {
            const double s = row.allocation.*seconds;
            // int64 nanoseconds span 1677..2262; a row's window lies inside its exported day.
            if (!(std::fabs(s) < 9.2e9)) return std::monostate{};
            const double whole = std::floor(s);
            return static_cast<std::int64_t>(whole) * 1'000'000'000 +
                   static_cast<std::int64_t>(std::llround((s - whole) * 1e9));
          }};
}

// The value at `index` of a per-key list (labels, annotations); "" when absent.
std::string_view at(const std::vector<std::string_view>* values, std::size_t index) {
  return values && index < values->size() ? (*values)[index] : std::string_view{};
}

}  // namespace

std::vector<DatasetColumn> dataset_columns(const std::vector<std::string>& label_keys,
                                           const std::vector<std::string>& annotation_keys) {
  using A = AllocField;
  using R = const DatasetRow&;
  std::vector<DatasetColumn> c = {
      text("name", [](R r) { return r.allocation.name; }),
      timestamp("window.start", &ParsedAllocation::window_start),
      timestamp("window.end", &ParsedAllocation::window_end),
      number("minutes", A::minutes),
      number("cpuCores", A::cpu_cores),
      number("cpuCoreRequestAverage", A::cpu_core_request_average),
      number("cpuCoreUsageAverage", A::cpu_core_usage_average),
      number("cpuCoreHours", A::cpu_core_hours),
      number("cpuCost", A::cpu_cost),
      number("cpuCostAdjustment", A::cpu_cost_adjustment),
      number("cpuEfficiency", A::cpu_efficiency),
      number("gpuCount", A::gpu_count),
      number("gpuHours", A::gpu_hours),
      number("gpuCost", A::gpu_cost),
      number("gpuCostAdjustment", A::gpu_cost_adjustment),
      number("networkTransferBytes", A::network_transfer_bytes),
      number("networkReceiveBytes", A::network_receive_bytes),
      number("networkCost", A::network_cost),
      number("networkCrossZoneCost", A::network_cross_zone_cost),
      number("networkCrossRegionCost", A::network_cross_region_cost),
      number("networkInternetCost", A::network_internet_cost),
      number("networkCostAdjustment", A::network_cost_adjustment),
      number("loadBalancerCost", A::load_balancer_cost),
      number("loadBalancerCostAdjustment", A::load_balancer_cost_adjustment),
      number("pvBytes", A::pv_bytes),
      number("pvByteHours", A::pv_byte_hours),
      number("pvCost", A::pv_cost),
      number("pvCostAdjustment", A::pv_cost_adjustment),
      number("ramBytes", A::ram_bytes),
      number("ramByteRequestAverage", A::ram_byte_request_average),
      number("ramByteUsageAverage", A::ram_byte_usage_average),
      number("ramByteHours", A::ram_byte_hours),
      number("ramCost", A::ram_cost),
      number("ramCostAdjustment", A::ram_cost_adjustment),
      number("ramEfficiency", A::ram_efficiency),
      number("sharedCost", A::shared_cost),
      number("externalCost", A::external_cost),
      number("totalCost", A::total_cost),
      number("totalEfficiency", A::total_efficiency),
      // The Assets API's provider; without a node match, AWS's own rule: "AWS" for an EC2
      // instance id (main.py kubecost_allocation_data_to_parquet: providerID.startswith("i-")).
      text("properties.provider",
           [](R r) {
             if (!r.node.provider.empty()) return std::string_view(r.node.provider);
             return r.allocation.provider_id.substr(0, 2) == "i-" ? std::string_view("AWS")
                                                                  : std::string_view();
           }),
      text("properties.region", [](R r) { return std::string_view(r.cluster.region); }),
      text("properties.cluster", [](R r) { return r.allocation.cluster; }),
      text("properties.clusterid", [](R r) { return std::string_view(r.cluster.cluster_arn); }),
      text("properties.eksClusterName", [](R r) { return std::string_view(r.cluster.name); }),
      text("properties.container", [](R r) { return r.allocation.container; }),
      text("properties.namespace", [](R r) { return r.allocation.namespace_name; }),
      text("properties.pod", [](R r) { return r.allocation.pod; }),
      text("properties.node", [](R r) { return r.allocation.node; }),
      text("properties.node_instance_type",
           [](R r) { return std::string_view(r.node.instance_type); }),
      text("properties.node_availability_zone",
           [](R r) { return std::string_view(r.node.availability_zone); }),
      text("properties.node_capacity_type",
           [](R r) { return std::string_view(r.node.capacity_type); }),
      text("properties.node_architecture",
           [](R r) { return std::string_view(r.node.architecture); }),
      text("properties.node_os", [](R r) { return std::string_view(r.node.os); }),
      text("properties.node_nodegroup", [](R r) { return std::string_view(r.node.nodegroup); }),
      text("properties.node_nodegroup_image",
           [](R r) { return std::string_view(r.node.nodegroup_image); }),
      text("properties.controller", [](R r) { return r.allocation.controller; }),
      text("properties.controllerKind", [](R r) { return r.allocation.controller_kind; }),
      text("properties.providerID", [](R r) { return r.allocation.provider_id; }),
  };
  for (std::size_t i = 0; i < label_keys.size(); ++i)
    c.push_back(text("properties.labels." + label_keys[i],
                     [i](R r) { return at(r.allocation.label_values, i); }));
  for (std::size_t i = 0; i < annotation_keys.size(); ++i)
    c.push_back(text("properties.annotations." + annotation_keys[i],
                     [i](R r) { return at(r.allocation.annotation_values, i); }));
  return c;
}

std::vector<parquet::ColumnSpec> dataset_schema(const std::vector<DatasetColumn>& columns) {
  std::vector<parquet::ColumnSpec> schema;
  schema.reserve(columns.size());
  for (const auto& c : columns) schema.push_back({c.name, c.type});
  return schema;
}

void write_dataset_row(parquet::Writer& writer, const std::vector<DatasetColumn>& columns,
                       const DatasetRow& row) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const CellValue v = columns[i].value(row);
    if (const auto* s = std::get_if<std::string_view>(&v))
      writer.set_string(i, *s);
    else if (const auto* d = std::get_if<double>(&v))
      writer.set_double(i, *d);
    else if (const auto* t = std::get_if<std::int64_t>(&v))
      writer.set_timestamp(i, *t);
  }
  writer.end_row();
}

}  // namespace kci

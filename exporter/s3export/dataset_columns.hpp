#pragma once
// The columns of the AWS containers-cost-allocation dataset, in its order, as ONE table of
// {name, type, accessor}: the Parquet schema and every row's values are both read from it, so a
// column cannot be added to one and forgotten in the other.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/assets_parser.hpp"
#include "exporter/parquet/parquet_writer.hpp"

namespace kci {

// What is the same on every row of a run.
struct DatasetCluster {
  std::string region;       // properties.region: the CLUSTER_ID ARN's region (never AWS_REGION)
  std::string cluster_arn;  // properties.clusterid: the EKS cluster ARN as configured
  std::string name;         // properties.eksclustername: the ARN's cluster name
};

// One row's sources: an allocation and the facts of its node (empty when the node is unknown).
// Views into them are valid only while the row is being written.
struct DatasetRow {
  const ParsedAllocation& allocation;
  const NodeFacts& node;
  const DatasetCluster& cluster;
};

// A cell: monostate = NULL, string_view for `string` columns, double for `float64` (NaN is
// written as NULL by the writer), int64 nanoseconds for `local_timestamp_nanos` (the UTC
// wall-clock time, naive).
using CellValue = std::variant<std::monostate, std::string_view, double, std::int64_t>;

struct DatasetColumn {
  std::string name;
  parquet::ColumnType type;
  std::function<CellValue(const DatasetRow&)> value;  // always a value of `type`, or NULL
};

// name, window.start, window.end; the 36 numeric columns; the 19 `properties.*` columns; then
// one `properties.labels.<key>` per label key and one `properties.annotations.<key>` per
// annotation key, in the order given (the keys as configured; their values come from the
// allocation's label_values / annotation_values at the same index). String columns without a
// value hold "" (as AWS's exporter writes them, its fillna("")); numbers Kubecost sent as null
// or left out are NULL (AWS writes 0).
std::vector<DatasetColumn> dataset_columns(const std::vector<std::string>& label_keys,
                                           const std::vector<std::string>& annotation_keys);

// The Parquet schema of `columns`: their names and types, in order.
std::vector<parquet::ColumnSpec> dataset_schema(const std::vector<DatasetColumn>& columns);

// Sets every non-NULL cell of `row` on `writer` (whose schema is dataset_schema(columns)) and
// ends the row.
void write_dataset_row(parquet::Writer& writer, const std::vector<DatasetColumn>& columns,
                       const DatasetRow& row);

}  // namespace kci

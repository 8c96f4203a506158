#pragma once
// How s3-export asks Kubecost for a day (http_kubecost_api.hpp): the query's shape, the read
// timeouts, the label and annotation keys the rows carry, and the cluster ARN whose name is the
// cluster filter when KUBECOST_CLUSTER_ID is unset. Plain data; app/ builds it once from the
// settings. The defaults are the settings' defaults; the names are those of the AWS
// kubecost-s3-exporter.
#include <chrono>
#include <string>
#include <vector>

namespace kci {

struct S3ExportQueryOptions {
  // CLUSTER_ID: arn:aws:eks:<region>:<account>:cluster/<name>; "" or not an ARN = no name.
  std::string cluster_arn;
  // AGGREGATION: "container" sends no `aggregate` (rows keep Kubecost's own names), anything
  // else is sent as `aggregate=<value>`.
  std::string aggregation = "container";
  // GRANULARITY: "daily" asks for one 1d set per day; anything else ("hourly") for 1h sets
  // from the On-Demand API with resolution=<resolution>.
  std::string granularity = "hourly";
  bool paginate = false;          // hourly only: 24 one-hour calls per day instead of one
  std::string resolution = "1m";  // KUBECOST_ALLOCATION_API_RESOLUTION
  // Waits between reads of an answer (requests' read timeout), named in the failures as
  // KUBECOST_ALLOCATION_API_READ_TIMEOUT and KUBECOST_ASSETS_API_READ_TIMEOUT.
  std::chrono::milliseconds allocation_read_timeout{60'000};
  std::chrono::milliseconds assets_read_timeout{30'000};
  std::vector<std::string> labels, annotations;  // LABELS, ANNOTATIONS: Kubernetes keys
};

}  // namespace kci

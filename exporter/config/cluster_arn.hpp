#pragma once
// The EKS cluster ARN that s3-export's CLUSTER_ID names: validated when the setting is read, and
// split into the account, region and name that the object keys and dataset columns use.
#include <optional>
#include <string>

namespace kci {

struct ClusterArn {
  std::string account_id, region, name;
};

// arn:<aws partition>:eks:<region>:<12-digit account>:cluster/<name>; nullopt for anything else.
std::optional<ClusterArn> parse_cluster_arn(const std::string& arn);

}  // namespace kci

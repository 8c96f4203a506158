#pragma once
// The EKS cluster ARN that s3-export's CLUSTER_ID names: validated when the setting is read, and
// split into the account, region and name that the object keys and dataset columns use.
#include <optional>
#include <string>

namespace kci {

struct ClusterArn {
  std::string account_id, region, name;
};

// An EKS cluster name: 1-100 characters of A-Z a-z 0-9 '-' '_', the first a letter or digit
// ("Amazon EKS API Reference: CreateCluster", name: pattern ^[0-9A-Za-z][A-Za-z0-9\-_]*$, length
// 1-100, https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html). The name
// becomes part of an S3 object key, so a '/' (a new key segment) must never pass.
bool valid_eks_cluster_name(const std::string& name);

// arn:<aws partition>:eks:<region>:<12-digit account>:cluster/<name>, the name valid as above;
// nullopt for anything else.
std::optional<ClusterArn> parse_cluster_arn(const std::string& arn);

}  // namespace kci

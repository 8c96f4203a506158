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

// An AWS region code: ^[a-z]{2}(-gov)?-[a-z]+-\d+$ (us-east-1, us-gov-west-1, cn-north-1,
// ap-southeast-2, me-central-1, il-central-1, mx-central-1). The AWS kubecost-s3-exporter's
// main.py checks CLUSTER_ID's region with (?:us(?:-gov)?|ap|ca|cn|eu|sa)-(?:central|(?:north|
// south)?(?:east|west)?)-\d, which refuses the newer me-, af-, il- and mx- regions; this rule is
// the general shape of botocore's partition regionRegex values (endpoints.json: aws
// ^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$, aws-cn ^cn\-\w+\-\d+$, aws-us-gov ^us\-gov\-\w+\-\d+$).
// The region becomes an object key segment and a host name: a '/' or '.' must never pass.
bool valid_aws_region(const std::string& region);

// Why `arn` is not arn:<partition>:eks:<region>:<account>:cluster/<name>, naming the field at
// fault and its value ("the region \"us-east-1/../x\" is not an AWS region code ..."); "" when
// it is one. The partition is aws, aws-cn or aws-us-gov and must be the region's (cn-* regions
// are aws-cn, us-gov-* are aws-us-gov, the others aws); the region is valid_aws_region; the
// account is 12 digits; the name is valid_eks_cluster_name.
std::string cluster_arn_problem(const std::string& arn);

// The parts of `arn` when cluster_arn_problem finds nothing wrong; nullopt otherwise.
std::optional<ClusterArn> parse_cluster_arn(const std::string& arn);

}  // namespace kci

#include "exporter/config/cluster_arn.hpp"

#include <regex>
#include <vector>

#include "exporter/config/value_parsers.hpp"

namespace kci {
namespace {

bool lower_alpha(char c) { return c >= 'a' && c <= 'z'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

// The partition a valid region belongs to (botocore endpoints.json regionRegex per partition).
std::string partition_of(const std::string& region) {
  if (region.starts_with("cn-")) return "aws-cn";
  if (region.starts_with("us-gov-")) return "aws-us-gov";
  return "aws";
}

struct ArnParts {
  std::vector<std::string> fields;  // arn, partition, service, region, account
  std::string resource;
};

std::optional<ArnParts> split_arn(const std::string& arn) {
  ArnParts p;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    p.fields.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  p.resource = arn.substr(start);
  return p;
}

}  // namespace

bool valid_eks_cluster_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  auto alnum = [](char c) { return lower_alpha(c) || (c >= 'A' && c <= 'Z') || digit(c); };
  if (!alnum(name.front())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-' && c != '_') return false;
  return true;
}

bool valid_aws_region(const std::string& region) {
  static const std::regex k_region(R"([a-z]{2}(-gov)?-[a-z]+-[0-9]+)");
  return region.size() <= 64 && std::regex_match(region, k_region);
}

std::string cluster_arn_problem(const std::string& arn) {
  const auto parts = split_arn(arn);
  if (!parts || parts->fields[0] != "arn" || parts->fields[2] != "eks" ||
      !parts->resource.starts_with("cluster/"))
    return "expected an EKS cluster ARN arn:aws:eks:<region>:<account>:cluster/<name>";
  const std::string& partition = parts->fields[1];
  const std::string& region = parts->fields[3];
  const std::string& account = parts->fields[4];
  const std::string name = parts->resource.substr(8);
  if (partition != "aws" && partition != "aws-cn" && partition != "aws-us-gov")
    return "the partition " + quoted_value(partition) + " is not aws, aws-cn or aws-us-gov";
  if (!valid_aws_region(region))
    return "the region " + quoted_value(region) +
           " is not an AWS region code (like us-east-1: two letters, an optional -gov, "
           "-<name>-<number>)";
  if (partition_of(region) != partition)
    return "the region " + quoted_value(region) + " is in the partition " + partition_of(region) +
           ", not " + partition;
  if (account.size() != 12 || account.find_first_not_of("0123456789") != std::string::npos)
    return "the account " + quoted_value(account) + " is not a 12-digit AWS account id";
  if (!valid_eks_cluster_name(name))
    return "the cluster name " + quoted_value(name) +
           " is not an EKS cluster name (1-100 of A-Z a-z 0-9 - _, starting with a letter or "
           "digit; no '/'): it names the S3 object";
  return "";
}

std::optional<ClusterArn> parse_cluster_arn(const std::string& arn) {
  if (!cluster_arn_problem(arn).empty()) return std::nullopt;
  const auto parts = split_arn(arn);
  return ClusterArn{parts->fields[4], parts->fields[3], parts->resource.substr(8)};
}

}  // namespace kci

#include "exporter/config/cluster_arn.hpp"

#include <vector>

namespace kci {

bool valid_eks_cluster_name(const std::string& name) {
  if (name.empty() || name.size() > 100) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front())) return false;
  for (char c : name)
    if (!alnum(c) && c != '-' && c != '_') return false;
  return true;
}

std::optional<ClusterArn> parse_cluster_arn(const std::string& arn) {
  // arn:<partition>:eks:<region>:<12-digit account>:cluster/<name>
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string resource = arn.substr(start);
  if (parts[0] != "arn" || !parts[1].starts_with("aws") || parts[2] != "eks" || parts[3].empty() ||
      parts[4].size() != 12 || parts[4].find_first_not_of("0123456789") != std::string::npos ||
      !resource.starts_with("cluster/") || !valid_eks_cluster_name(resource.substr(8)))
    return std::nullopt;
  return ClusterArn{parts[4], parts[3], resource.substr(8)};
}

}  // namespace kci

#include "exporter/s3export/object_key.hpp"

#include <set>

#include "exporter/s3export/utc_day.hpp"
#include "exporter/util/durations.hpp"

namespace kci {
namespace {

constexpr std::string_view k_suffix = ".snappy.parquet";
constexpr std::size_t k_date_length = 10;  // YYYY-MM-DD

std::string month_prefix(const ClusterArn& cluster, std::int64_t day) {
  return "account_id=" + cluster.account_id + "/region=" + cluster.region +
         "/year=" + format_day(day, "%Y") + "/month=" + format_day(day, "%m") + "/";
}

}  // namespace

std::string object_key(const ClusterArn& cluster, std::int64_t day) {
  return month_prefix(cluster, day) + format_day(day) + "_" + cluster.name + std::string(k_suffix);
}

std::vector<std::string> month_prefixes(const ClusterArn& cluster, std::int64_t first,
                                        std::int64_t last) {
  std::set<std::string> prefixes;
  for (std::int64_t d = first; d <= last; ++d) prefixes.insert(month_prefix(cluster, d));
  return {prefixes.begin(), prefixes.end()};
}

std::optional<std::int64_t> day_of_key(std::string_view key, std::string_view cluster_name) {
  const std::string suffix = "_" + std::string(cluster_name) + std::string(k_suffix);
  auto slash = key.rfind('/');
  std::string_view base = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (base.size() != k_date_length + suffix.size() || !base.ends_with(suffix)) return std::nullopt;
  auto t = parse_rfc3339(std::string(base.substr(0, k_date_length)) + "T00:00:00Z");
  if (!t) return std::nullopt;
  return static_cast<std::int64_t>(*t) / k_day_seconds;
}

}  // namespace kci

#include "exporter/s3export/object_key.hpp"

#include <set>

#include "exporter/s3export/utc_day.hpp"
#include "exporter/util/durations.hpp"

namespace kci {
namespace {

constexpr std::string_view k_suffixes[] = {".snappy.parquet", ".zstd.parquet",
                                           ".uncompressed.parquet"};

std::string_view suffix_of(parquet::Codec codec) {
  switch (codec) {
    case parquet::Codec::zstd:
      return k_suffixes[1];
    case parquet::Codec::uncompressed:
      return k_suffixes[2];
    case parquet::Codec::snappy:
      break;
  }
  return k_suffixes[0];
}
constexpr std::size_t k_date_length = 10;  // YYYY-MM-DD

std::string month_prefix(const ClusterArn& cluster, std::int64_t day) {
  return "account_id=" + cluster.account_id + "/region=" + cluster.region +
         "/year=" + format_day(day, "%Y") + "/month=" + format_day(day, "%m") + "/";
}

}  // namespace

std::string object_key(const ClusterArn& cluster, std::int64_t day, parquet::Codec codec) {
  return month_prefix(cluster, day) + format_day(day) + "_" + cluster.name +
         std::string(suffix_of(codec));
}

std::vector<std::string> month_prefixes(const ClusterArn& cluster, std::int64_t first,
                                        std::int64_t last) {
  std::set<std::string> prefixes;
  for (std::int64_t d = first; d <= last; ++d) prefixes.insert(month_prefix(cluster, d));
  return {prefixes.begin(), prefixes.end()};
}

std::optional<std::int64_t> day_of_key(std::string_view key, std::string_view cluster_name) {
  auto slash = key.rfind('/');
  std::string_view base = slash == std::string_view::npos ? key : key.substr(slash + 1);
  for (std::string_view codec_suffix : k_suffixes) {
    const std::string suffix = "_" + std::string(cluster_name) + std::string(codec_suffix);
    if (base.size() != k_date_length + suffix.size() || !base.ends_with(suffix)) continue;
    auto t = parse_rfc3339(std::string(base.substr(0, k_date_length)) + "T00:00:00Z");
    if (!t) return std::nullopt;
    return static_cast<std::int64_t>(*t) / k_day_seconds;
  }
  return std::nullopt;
}

}  // namespace kci

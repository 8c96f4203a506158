#include "exporter/s3export/utc_day.hpp"

#include "exporter/util/text_util.hpp"

namespace kci {

std::string format_day(std::int64_t day, const char* format) {
  return format_utc(day * k_day_seconds, format);
}

std::string kubecost_window(std::int64_t start, std::int64_t end) {
  return format_utc(start) + "," + format_utc(end);
}

}  // namespace kci

#include "exporter/telemetry/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>

namespace kci {
namespace {

std::optional<double> number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Reads at most 64 KiB of a /proc file (they are a few hundred bytes).
std::optional<std::string> read_small(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(64 * 1024, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(m);
  return f;
}

}  // namespace

void parse_proc_stat(std::string_view stat, double ticks_per_second, double page_bytes,
                     std::optional<double> boot_time, ProcessStats& out) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos) return;
  // Field 3 (state) is the first after ") "; field n is at index n - 3.
  std::vector<std::string_view> fields;
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  auto field = [&](std::size_t n) -> std::optional<double> {
    return n - 3 < fields.size() ? number(fields[n - 3]) : std::nullopt;
  };
  const auto utime = field(14), stime = field(15), starttime = field(22);
  const auto vsize = field(23), rss = field(24);
  if (utime && stime && ticks_per_second > 0)
    out.cpu_seconds = (*utime + *stime) / ticks_per_second;
  if (vsize) out.virtual_bytes = *vsize;
  if (rss && page_bytes > 0) out.resident_bytes = *rss * page_bytes;
  if (starttime && boot_time && ticks_per_second > 0)
    out.start_time_seconds = *boot_time + *starttime / ticks_per_second;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::size_t pos = 0;
  while (pos < proc_stat.size()) {
    const auto end = proc_stat.find('\n', pos);
    const std::string_view line =
        proc_stat.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (line.starts_with("btime ")) return number(line.substr(6));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

ProcessStats read_process_stats(const std::string& proc_root) {
  ProcessStats stats;
  const auto boot = read_small(proc_root + "/stat");
  const auto self = read_small(proc_root + "/self/stat");
  if (self)
    parse_proc_stat(*self, static_cast<double>(sysconf(_SC_CLK_TCK)),
                    static_cast<double>(sysconf(_SC_PAGESIZE)),
                    boot ? parse_boot_time(*boot) : std::nullopt, stats);
  std::error_code ec;
  std::filesystem::directory_iterator fds(proc_root + "/self/fd", ec);
  if (!ec) {
    double open = 0;
    for (auto it = fds; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      ++open;
    }
    // The directory iterator's own descriptor is among the entries, as in client_golang.
    if (!ec) stats.open_fds = open;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    stats.max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

std::vector<prometheus::MetricFamily> process_families(const ProcessStats& s) {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  if (s.cpu_seconds)
    out.push_back(family("process_cpu_seconds_total",
                         "Total user and system CPU time spent in seconds.", MetricType::Counter,
                         *s.cpu_seconds));
  if (s.resident_bytes)
    out.push_back(family("process_resident_memory_bytes", "Resident memory size in bytes.",
                         MetricType::Gauge, *s.resident_bytes));
  if (s.virtual_bytes)
    out.push_back(family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                         MetricType::Gauge, *s.virtual_bytes));
  if (s.open_fds)
    out.push_back(family("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                         *s.open_fds));
  if (s.max_fds)
    out.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, *s.max_fds));
  if (s.start_time_seconds)
    out.push_back(family("process_start_time_seconds",
                         "Start time of the process since unix epoch in seconds.",
                         MetricType::Gauge, *s.start_time_seconds));
  return out;
}

}  // namespace kci

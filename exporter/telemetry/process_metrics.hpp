#pragma once
// The standard `process_*` families every Prometheus client library exports (client_golang's
// prometheus/process_collector.go names and help texts), read from Linux's /proc at scrape time:
//   process_cpu_seconds_total        counter  user + system CPU of the process
//   process_resident_memory_bytes    gauge    resident set size
//   process_virtual_memory_bytes     gauge    virtual memory size
//   process_open_fds                 gauge    open file descriptors
//   process_max_fds                  gauge    the soft RLIMIT_NOFILE
//   process_start_time_seconds       gauge    Unix time the process started
// A value that cannot be read (no /proc, a field missing) leaves its family out rather than
// exporting a made-up number.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

namespace kci {

struct ProcessStats {
  std::optional<double> cpu_seconds;
  std::optional<double> resident_bytes;
  std::optional<double> virtual_bytes;
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  std::optional<double> start_time_seconds;
};

// Fields of proc(5)'s /proc/<pid>/stat text: utime (14), stime (15), starttime (22), vsize (23),
// rss (24), counted after the command name, which is in parentheses and may itself hold spaces
// and parentheses (so the fields start after the last ')'). `ticks_per_second` is
// sysconf(_SC_CLK_TCK), `page_bytes` sysconf(_SC_PAGESIZE), `boot_time` /proc/stat's btime.
// Fills what the text has; leaves the rest unset.
void parse_proc_stat(std::string_view stat, double ticks_per_second, double page_bytes,
                     std::optional<double> boot_time, ProcessStats& out);

// /proc/stat's "btime <seconds>" line: the boot time in Unix seconds.
std::optional<double> parse_boot_time(std::string_view proc_stat);

// This process's stats, read from `proc_root` (normally "/proc": <root>/self/stat,
// <root>/self/fd, <root>/stat) and getrlimit.
ProcessStats read_process_stats(const std::string& proc_root = "/proc");

// The families of the set fields, in the order above.
std::vector<prometheus::MetricFamily> process_families(const ProcessStats& stats);

}  // namespace kci

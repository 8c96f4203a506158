// process_* families: proc(5)'s stat fields parsed from fixed texts (a command name holding
// spaces and parentheses included), and read from this test process's own /proc.
#include <catch2/catch.hpp>

#include <prometheus/registry.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

#include "exporter/telemetry/process_metrics.hpp"
#include "exporter/telemetry/text_serializer.hpp"

using namespace kci;

namespace {

// A /proc/<pid>/stat line: pid, (comm), state, then fields 4..52. utime=250 stime=50
// starttime=1000 vsize=123456789 rss=2048 at the positions proc(5) gives them.
std::string stat_line(const std::string& comm) {
  std::string s = "4242 (" + comm + ") S";
  for (int field = 4; field <= 52; ++field) {
    std::string value = "0";
    if (field == 14) value = "250";
    if (field == 15) value = "50";
    if (field == 22) value = "1000";
    if (field == 23) value = "123456789";
    if (field == 24) value = "2048";
    s += " " + value;
  }
  return s + "\n";
}

}  // namespace

TEST_CASE("process metrics: proc(5) stat fields after the last ')' of the command name") {
  for (const std::string comm : {"allocation-expo", "a (b) c", ")("}) {
    ProcessStats stats;
    parse_proc_stat(stat_line(comm), 100, 4096, 1'700'000'000.0, stats);
    REQUIRE(stats.cpu_seconds);
    CHECK(*stats.cpu_seconds == Approx(3.0));  // (250 + 50) / 100
    CHECK(*stats.virtual_bytes == 123456789.0);
    CHECK(*stats.resident_bytes == 2048.0 * 4096);
    CHECK(*stats.start_time_seconds == Approx(1'700'000'010.0));
  }
}

TEST_CASE("process metrics: a cut or garbled stat sets nothing made up") {
  ProcessStats stats;
  parse_proc_stat("4242 (x) S 1 2 3", 100, 4096, 1.0, stats);
  CHECK_FALSE(stats.cpu_seconds);
  CHECK_FALSE(stats.resident_bytes);
  parse_proc_stat("no parenthesis at all", 100, 4096, 1.0, stats);
  CHECK_FALSE(stats.virtual_bytes);
  ProcessStats no_boot;
  parse_proc_stat(stat_line("x"), 100, 4096, std::nullopt, no_boot);
  CHECK(no_boot.cpu_seconds);
  CHECK_FALSE(no_boot.start_time_seconds);
  CHECK(parse_boot_time("cpu  1 2 3\nbtime 1700000000\nprocesses 9\n") == 1'700'000'000.0);
  CHECK_FALSE(parse_boot_time("cpu 1 2 3\n"));
  CHECK_FALSE(parse_boot_time("btime soon\n"));
}

TEST_CASE("process metrics: this process, read from /proc, rendered in text format") {
  const ProcessStats stats = read_process_stats();
  REQUIRE(stats.resident_bytes);
  CHECK(*stats.resident_bytes > 1024 * 1024);
  REQUIRE(stats.open_fds);
  const double before = *stats.open_fds;
  FILE* extra = std::fopen("/proc/self/stat", "r");
  REQUIRE(extra != nullptr);
  CHECK(*read_process_stats().open_fds == before + 1);
  std::fclose(extra);
  REQUIRE(stats.start_time_seconds);
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(*stats.start_time_seconds <= now + 1);
  CHECK(*stats.start_time_seconds > now - 3600);  // this test process started within the hour
  REQUIRE(stats.max_fds);

  const std::string text = serialize_text(prometheus::Registry(), process_families(stats));
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\n",
        "# TYPE process_resident_memory_bytes gauge\n", "# TYPE process_open_fds gauge\n",
        "# TYPE process_max_fds gauge\n", "# TYPE process_start_time_seconds gauge\n"})
    CHECK(text.find(line) != std::string::npos);
  CHECK(read_process_stats("/nonexistent").resident_bytes == std::nullopt);
}

// A day in the s3-export dataset's shape (~60 columns) written with the default options: row
// groups have DuckDB's 122 880 rows, and the writer's peak memory stays bounded (a page per
// column and the dictionaries, never a row group of values).
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "exporter/parquet/parquet_writer.hpp"
#include "support/process_memory.hpp"

using namespace kci::parquet;

namespace {

// Resets VmHWM to the current RSS (Linux >= 4.0); false where /proc forbids it.
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace

TEST_CASE("parquet writer: 122 880-row row groups of a 60-column day in bounded memory") {
  std::vector<ColumnSpec> schema = {{"name", ColumnType::string},
                                    {"window.start", ColumnType::local_timestamp_nanos},
                                    {"window.end", ColumnType::local_timestamp_nanos}};
  for (int i = 0; i < 36; ++i) schema.push_back({"m" + std::to_string(i), ColumnType::float64});
  for (int i = 0; i < 21; ++i) schema.push_back({"p" + std::to_string(i), ColumnType::string});

  const bool reset = reset_peak_rss();
  const long before = kci::test::peak_rss_kib();
  std::uint64_t bytes = 0;
  std::uint64_t footer_at = 0;
  WriterOptions options;  // the defaults, as s3-export uses them
  options.codec = Codec::zstd;
  Writer w(schema, options, [&](std::string_view b) {
    footer_at = bytes;
    bytes += b.size();
    return true;
  });
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  const int containers = 20'000, hours = 20;  // 400 000 rows
  for (int h = 0; h < hours; ++h) {
    for (int c = 0; c < containers; ++c) {
      w.set_string(0, "cluster/node-" + std::to_string(c % 300) + "/ns-" + std::to_string(c % 120) +
                          "/pod-" + std::to_string(c) + "/app");
      w.set_timestamp(1, (1'700'000'000LL + h * 3600) * 1'000'000'000);
      w.set_timestamp(2, (1'700'003'600LL + h * 3600) * 1'000'000'000);
      for (int m = 0; m < 36; ++m) w.set_double(3 + m, std::round(u(rng) * 1e10) / 1e5);
      for (int p = 0; p < 21; ++p)
        w.set_string(39 + p, "value-" + std::to_string(p) + "-" + std::to_string(c % (1 + p * 50)));
      w.end_row();
    }
  }
  auto summary = w.finish();
  const long growth = kci::test::peak_rss_kib() - before;
  REQUIRE(summary.ok());
  CHECK(summary.value().rows == 400'000);
  CHECK(summary.value().row_groups == 4);  // 3 x 122 880 + 31 360
  CHECK(summary.value().bytes == bytes);
  INFO("peak RSS growth " << growth << " KiB (peak reset: " << reset << ")");
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps freed memory resident
  CHECK(growth < 32 * 1024);
#endif
}

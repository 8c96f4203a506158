// Writes Parquet files covering the writer's corners, plus a manifest (JSON) of what each file
// must contain, for read_check.mjs to verify with two independent readers (DuckDB, hyparquet).
// Also asserts, itself, that a 1-million-row file is written in bounded memory.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "exporter/parquet/parquet_writer.hpp"
#include "support/process_memory.hpp"

using namespace kci::parquet;

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (std::isnan(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: write_fixtures OUT_DIR\n";
    return 2;
  }
  std::string dir = argv[1];
  std::string manifest = "{\n";

  // 1. Corners: empty strings, unicode, quotes, NULLs, all-NULL columns, NaN, row group boundaries.
  for (Codec codec : {Codec::snappy, Codec::zstd, Codec::uncompressed}) {
    std::string name = codec == Codec::snappy ? "corners.snappy.parquet"
                       : codec == Codec::zstd ? "corners.zstd.parquet"
                                              : "corners.none.parquet";
    std::ofstream out(dir + "/" + name, std::ios::binary);
    WriterOptions options;
    options.codec = codec;
    options.row_group_rows = 300;     // forces several row groups,
    options.page_bytes = 1024;        // several pages per column chunk,
    options.dictionary_bytes = 2000;  // and the fallback from dictionary to PLAIN strings
    options.work_dir = dir;
    Writer w({{"s", ColumnType::string},
              {"d", ColumnType::float64},
              {"t", ColumnType::timestamp_micros},
              {"all_null_s", ColumnType::string},
              {"all_null_d", ColumnType::float64},
              {"tn", ColumnType::local_timestamp_nanos}},
             options,
             [&](std::string_view b) { return static_cast<bool>(out.write(b.data(), b.size())); });
    const char* strings[] = {"", "café-測試", "a\"b\\c", "plain", "line\nbreak", "🙂"};
    std::string rows = "[";
    for (int i = 0; i < 1000; ++i) {
      bool s_null = i % 7 == 3;
      std::string s = strings[i % 6] + (i % 11 == 0 ? std::to_string(i) : std::string());
      double d = i % 5 == 0 ? NAN : (i - 500) * 0.25 + (i == 999 ? 1e-300 : 0);
      long long t = 1700000000000000LL + i * 3600000000LL;
      if (!s_null) w.set_string(0, s);
      w.set_double(1, d);
      w.set_timestamp(2, t);
      const long long tn = t * 1000 + i % 1000;  // naive nanoseconds, sub-microsecond digits kept
      w.set_timestamp(5, tn);
      w.end_row();
      rows += std::string(i ? "," : "") + "[" + (s_null ? "null" : json_string(s)) + "," +
              json_number(d) + "," + std::to_string(t) + ",null,null," +
              json_string(std::to_string(tn)) + "]";
    }
    rows += "]";
    auto summary = w.finish();
    if (!summary.ok()) {
      std::cerr << summary.failure().message << "\n";
      return 1;
    }
    if (summary.value().row_groups < 3) {
      std::cerr << "expected several row groups, got " << summary.value().row_groups << "\n";
      return 1;
    }
    manifest += "  " + json_string(name) +
                ": {\"rows\": 1000, \"row_groups\": " + std::to_string(summary.value().row_groups) +
                ", \"columns\": [\"s\",\"d\",\"t\",\"all_null_s\",\"all_null_d\",\"tn\"]" +
                ", \"types\": [\"VARCHAR\",\"DOUBLE\",\"TIMESTAMP WITH TIME "
                "ZONE\",\"VARCHAR\",\"DOUBLE\",\"TIMESTAMP_NS\"]" +
                ", \"all_rows\": " + rows + "},\n";
  }

  // 2. A 1-million-row day: bounded memory, sums checked by the readers.
  {
    std::string name = "million.snappy.parquet";
    std::ofstream out(dir + "/" + name, std::ios::binary);
    WriterOptions options;
    options.work_dir = dir;
    Writer w({{"namespace", ColumnType::string},
              {"pod", ColumnType::string},
              {"window.start", ColumnType::timestamp_micros},
              {"totalcost", ColumnType::float64},
              {"cpuefficiency", ColumnType::float64}},
             options,
             [&](std::string_view b) { return static_cast<bool>(out.write(b.data(), b.size())); });
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0, 1);
    double sum = 0;
    long nulls = 0;
    const long before = kci::test::peak_rss_kib();
    for (int i = 0; i < 1'000'000; ++i) {
      w.set_string(0, "ns-" + std::to_string(i % 97));
      w.set_string(1, "pod-" + std::to_string(i % 41666));
      w.set_timestamp(2, 1700000000000000LL + (i % 24) * 3600000000LL);
      double cost = std::round(u(rng) * 1e5) / 1e5;
      sum += cost;
      w.set_double(3, cost);
      if (i % 13 == 0) {
        ++nulls;
      } else {
        w.set_double(4, u(rng));
      }
      w.end_row();
    }
    auto summary = w.finish();
    const long growth = kci::test::peak_rss_kib() - before;
    if (!summary.ok()) return 1;
    std::cerr << "million rows: " << summary.value().bytes << " bytes, "
              << summary.value().row_groups << " row groups, peak RSS growth " << growth
              << " KiB\n";
    // Bounded memory: the writer holds a page per column and the dictionaries, not the day.
    // (Not judged under AddressSanitizer, whose quarantine keeps freed memory resident.)
#if defined(__SANITIZE_ADDRESS__)
    const bool judge_memory = false;
#else
    const bool judge_memory = true;
#endif
    if (judge_memory && growth > 96 * 1024) {
      std::cerr << "memory grew by " << growth << " KiB for 1M rows: not bounded\n";
      return 1;
    }
    manifest += "  " + json_string(name) + ": {\"rows\": 1000000, \"row_groups\": " +
                std::to_string(summary.value().row_groups) +
                ", \"sum_totalcost\": " + json_number(sum) +
                ", \"nulls_cpuefficiency\": " + std::to_string(nulls) +
                ", \"distinct_namespace\": 97, \"distinct_pod\": 41666},\n";
  }

  // 3. DuckDB-sized row groups (122 880 rows) across 300 000 rows, with a unique string column
  // that outgrows its dictionary: read_check.mjs recomputes every value and compares both readers.
  for (Codec codec : {Codec::snappy, Codec::zstd}) {
    const std::string name =
        codec == Codec::snappy ? "rowgroups.snappy.parquet" : "rowgroups.zstd.parquet";
    std::ofstream out(dir + "/" + name, std::ios::binary);
    WriterOptions options;
    options.codec = codec;
    options.work_dir = dir;
    Writer w({{"s", ColumnType::string},
              {"u", ColumnType::string},
              {"d", ColumnType::float64},
              {"tn", ColumnType::local_timestamp_nanos}},
             options,
             [&](std::string_view b) { return static_cast<bool>(out.write(b.data(), b.size())); });
    const int rows = 300'000;
    for (int i = 0; i < rows; ++i) {
      if (i % 7 != 3) w.set_string(0, "s-" + std::to_string(i % 1000));
      w.set_string(1, "unique-value-" + std::to_string(1'000'000'000 + i));
      w.set_double(2, i % 5 == 0 ? NAN : i * 0.25);
      w.set_timestamp(3, 1'700'000'000'000'000'000LL + i * 1001LL);
      w.end_row();
    }
    auto summary = w.finish();
    if (!summary.ok()) {
      std::cerr << summary.failure().message << "\n";
      return 1;
    }
    manifest += "  " + json_string(name) + ": {\"rows\": 300000, \"row_groups\": " +
                std::to_string(summary.value().row_groups) +
                ", \"generated\": \"rowgroups\", \"row_group_rows\": [122880, 122880, 54240]}" +
                (codec == Codec::snappy ? ",\n" : "\n");
  }
  manifest += "}\n";
  std::ofstream(dir + "/manifest.json") << manifest;
  std::cout << "wrote fixtures to " << dir << "\n";
  return 0;
}

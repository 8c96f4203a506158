// A synthetic 5 000-container day (24 hourly rows each = 120 000 rows) in the s3-export dataset's
// shape, written with our Parquet writer (snappy and zstd). Reports rows/s, file size and peak
// RSS; writes the snappy file for duckdb_copy_bench.mjs to re-write with DuckDB's own writer.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "exporter/parquet/parquet_writer.hpp"
#include "support/process_memory.hpp"

using namespace kci::parquet;

int main(int argc, char** argv) {
  const int containers = argc > 1 ? std::atoi(argv[1]) : 5000;
  const std::string out_dir = argc > 2 ? argv[2] : ".";
  std::vector<ColumnSpec> schema = {{"name", ColumnType::string},
                                    {"window.start", ColumnType::timestamp_micros},
                                    {"window.end", ColumnType::timestamp_micros}};
  const int numeric = 36;
  for (int i = 0; i < numeric; ++i)
    schema.push_back({"metric_" + std::to_string(i), ColumnType::float64});
  const char* props[] = {"provider",
                         "region",
                         "cluster",
                         "clusterid",
                         "eksclustername",
                         "container",
                         "namespace",
                         "pod",
                         "node",
                         "node_instance_type",
                         "node_availability_zone",
                         "node_capacity_type",
                         "node_architecture",
                         "node_os",
                         "node_nodegroup",
                         "node_nodegroup_image",
                         "controller",
                         "controllerkind",
                         "providerid",
                         "labels.app",
                         "labels.team"};
  for (const char* p : props)
    schema.push_back({std::string("properties.") + p, ColumnType::string});

  for (Codec codec : {Codec::snappy, Codec::zstd}) {
    const std::string path =
        out_dir + (codec == Codec::snappy ? "/day.snappy.parquet" : "/day.zstd.parquet");
    std::ofstream file(path, std::ios::binary);
    WriterOptions options;
    options.codec = codec;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    auto t0 = std::chrono::steady_clock::now();
    Writer w(schema, options,
             [&](std::string_view b) { return static_cast<bool>(file.write(b.data(), b.size())); });
    std::uint64_t rows = 0;
    for (int h = 0; h < 24; ++h) {
      for (int c = 0; c < containers; ++c) {
        const int ns = c % 120, node = c % 300;
        w.set_string(0, "cluster-one/node-" + std::to_string(node) + "/ns-" + std::to_string(ns) +
                            "/pod-" + std::to_string(c) + "/app");
        w.set_timestamp(1, (1700000000LL + h * 3600) * 1000000);
        w.set_timestamp(2, (1700000000LL + (h + 1) * 3600) * 1000000);
        for (int m = 0; m < numeric; ++m) {
          double v = std::round(u(rng) * (m % 7 == 0 ? 1e9 : 1.0) * 1e5) / 1e5;
          if (m % 11 == 5 && c % 17 == 0) v = NAN;  // some nulls
          w.set_double(3 + m, m % 13 == 12 ? 0.0 : v);
        }
        std::string s[] = {"AWS",
                           "us-east-1",
                           "cluster-one",
                           "arn:aws:eks:us-east-1:111122223333:cluster/eks",
                           "eks",
                           "app",
                           "ns-" + std::to_string(ns),
                           "pod-" + std::to_string(c),
                           "node-" + std::to_string(node),
                           node % 3 ? "m5.large" : "c6g.xlarge",
                           "us-east-1" + std::string(1, static_cast<char>('a' + node % 3)),
                           node % 4 ? "on-demand" : "spot",
                           node % 3 ? "amd64" : "arm64",
                           "linux",
                           "ng-" + std::to_string(node % 5),
                           "ami-0123456789",
                           "deploy-" + std::to_string(c / 3),
                           "deployment",
                           "i-" + std::to_string(100000 + node),
                           "app-" + std::to_string(c % 40),
                           "team-" + std::to_string(ns % 9)};
        for (int p = 0; p < 21; ++p) w.set_string(3 + numeric + p, s[p]);
        w.end_row();
        ++rows;
      }
    }
    auto summary = w.finish();
    file.close();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!summary.ok()) {
      std::fprintf(stderr, "%s\n", summary.failure().message.c_str());
      return 1;
    }
    std::printf(
        "ours %s: rows=%llu seconds=%.3f rows_per_s=%.0f bytes=%llu bytes_per_row=%.2f "
        "peak_rss_mib=%.1f\n",
        codec == Codec::snappy ? "snappy" : "zstd", static_cast<unsigned long long>(rows), secs,
        rows / secs, static_cast<unsigned long long>(summary.value().bytes),
        static_cast<double>(summary.value().bytes) / rows, kci::test::peak_rss_kib() / 1024.0);
  }
  return 0;
}

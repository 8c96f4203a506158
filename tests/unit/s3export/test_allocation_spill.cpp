#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "exporter/s3export/allocation_spill.hpp"
#include "s3export/s3export_fakes.hpp"

using namespace kci;
using namespace kci::test;

TEST_CASE("allocation spill: every field comes back as written, in order") {
  TempDir dir;
  const std::string path = dir.path() + "/day.spill";
  AllocationSpillWriter writer(path);
  REQUIRE(writer.ok());
  std::vector<std::string_view> labels = {"platform", "", "m5.large"};
  std::vector<std::string_view> annotations = {"équipe-ü \"q\""};
  for (int i = 0; i < 3; ++i) {
    ParsedAllocation a;
    a.values.fill(NAN);
    a.values[static_cast<std::size_t>(AllocField::total_cost)] = 1.5 * i;
    a.values[static_cast<std::size_t>(AllocField::cpu_cost_adjustment)] = -0.25;
    a.name = i == 1 ? std::string_view("c/n/ns/p/x") : std::string_view("c/n/__idle__");
    a.cluster = "c";
    a.node = "n";
    a.namespace_name = "ns";
    a.pod = "p";
    a.container = "x";
    a.controller = "d";
    a.controller_kind = "deployment";
    a.provider_id = "i-0";
    a.window_start = 1710547200 + 3600.0 * i;
    a.window_end = a.window_start + 3600;
    a.data_start = a.window_start + 60;
    a.set_index = static_cast<std::size_t>(i);
    a.label_values = i == 2 ? nullptr : &labels;
    a.annotation_values = &annotations;
    writer.append(a);
  }
  REQUIRE(writer.close().ok());
  CHECK(writer.records() == 3);
  int seen = 0;
  auto r = read_allocation_spill(path, [&](const ParsedAllocation& a) {
    CHECK(a.get(AllocField::total_cost) == 1.5 * seen);
    CHECK(a.get(AllocField::cpu_cost_adjustment) == -0.25);
    CHECK(std::isnan(a.get(AllocField::ram_cost)));
    CHECK(a.name == (seen == 1 ? "c/n/ns/p/x" : "c/n/__idle__"));
    CHECK(a.provider_id == "i-0");
    CHECK(a.controller_kind == "deployment");
    CHECK(a.window_start == 1710547200 + 3600.0 * seen);
    CHECK(a.data_start == a.window_start + 60);
    CHECK(std::isnan(a.data_end));
    CHECK(a.set_index == static_cast<std::size_t>(seen));
    REQUIRE(a.label_values);
    CHECK(a.label_values->size() == (seen == 2 ? 0u : 3u));
    REQUIRE(a.annotation_values->size() == 1);
    CHECK((*a.annotation_values)[0] == "équipe-ü \"q\"");
    ++seen;
  });
  CHECK(r.ok());
  CHECK(seen == 3);
}

TEST_CASE("allocation spill: a damaged file fails with io, never reads past a record") {
  TempDir dir;
  const std::string path = dir.path() + "/day.spill";
  AllocationSpillWriter writer(path);
  ParsedAllocation a;
  a.values.fill(1.0);
  a.name = "a";
  writer.append(a);
  REQUIRE(writer.close().ok());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Cut at every byte: io, and at most the whole record before the cut handed over (the day
  // that reads it then fails, so nothing of it is uploaded).
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), cut);
    int visits = 0;
    auto r = read_allocation_spill(path, [&](const ParsedAllocation&) { ++visits; });
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::io);
    CHECK(visits <= 1);
  }
  // Any byte changed: the read fails (the stream's checksum, a length check), or, for a frame
  // header byte that does not change the content (the window size), gives the same record.
  int failed = 0;
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bad.data(), bad.size());
    INFO("byte " << at << " of " << bytes.size());
    std::vector<std::string> names;
    auto r = read_allocation_spill(path, [&](const ParsedAllocation& a) {
      if (a.get(AllocField::total_cost) == 1.0) names.emplace_back(a.name);
    });
    if (!r.ok()) {
      ++failed;
      continue;
    }
    CHECK(names == std::vector<std::string>{"a"});
  }
  CHECK(failed >= static_cast<int>(bytes.size()) - 2);
  CHECK_FALSE(read_allocation_spill(dir.path() + "/absent", [](const ParsedAllocation&) {}).ok());
}

#include <catch2/catch.hpp>

#include <dirent.h>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::sample;

namespace {

struct Collected {
  std::string name, ns, pod;
  std::array<double, k_alloc_field_count> values;
  std::vector<std::string> labels;
  double window_start, window_end;
  std::size_t set;
};

Expected<ParseSummary> collect(const std::string& body, std::vector<Collected>& out,
                               std::vector<std::string> label_keys = {}) {
  ParseOptions options{std::move(label_keys)};
  return parse_allocations(body, options, [&](const ParsedAllocation& a) {
    Collected c{std::string(a.name),
                std::string(a.namespace_name),
                std::string(a.pod),
                a.values,
                {},
                a.window_start,
                a.window_end,
                a.set_index};
    if (a.label_values)
      for (auto v : *a.label_values) c.labels.emplace_back(v);
    out.push_back(std::move(c));
  });
}

double field(const Collected& c, AllocField f) { return c.values[static_cast<std::size_t>(f)]; }

// An independent reading of the same numbers: every `"key":<number>` in the text.
double naive_sum(const std::string& body, const std::string& key) {
  double sum = 0;
  std::string needle = "\"" + key + "\":";
  for (auto pos = body.find(needle); pos != std::string::npos; pos = body.find(needle, pos + 1)) {
    const char* p = body.c_str() + pos + needle.size();
    if (std::strncmp(p, "null", 4) != 0) sum += std::strtod(p, nullptr);
  }
  return sum;
}

}  // namespace

TEST_CASE("parser: OpenCost swagger sample (namespace aggregation, 6-decimal numbers)") {
  std::vector<Collected> got;
  auto r = collect(
      sample("opencost_docs-swagger_allocation-compute_aggregate-namespace_window-2d.json"), got);
  REQUIRE(r.ok());
  CHECK(r.value().sets == 1);
  REQUIRE(got.size() == r.value().allocations);
  auto& ks = *std::find_if(got.begin(), got.end(), [](auto& c) { return c.name == "kube-system"; });
  CHECK(ks.ns == "kube-system");
  CHECK(field(ks, AllocField::cpu_cost) == Approx(0.408822));
  CHECK(field(ks, AllocField::total_cost) == Approx(0.425469));
  CHECK(field(ks, AllocField::ram_efficiency) == Approx(0.855096));
  CHECK(field(ks, AllocField::minutes) == Approx(2879.235705));
  CHECK(ks.window_start == parse_rfc3339("2023-01-18T11:38:45Z").value());
  CHECK(ks.window_end == parse_rfc3339("2023-01-20T11:38:45Z").value());
}

TEST_CASE("parser: every valid JSON sample parses, and its totals match the text") {
  DIR* dir = opendir(KCI_FIXTURES_DIR "/kubecost");
  REQUIRE(dir != nullptr);
  int json_files = 0;
  while (auto* e = readdir(dir)) {
    std::string name = e->d_name;
    if (!name.ends_with(".json")) continue;
    ++json_files;
    INFO(name);
    std::string body = sample(name);
    std::vector<Collected> got;
    auto r = collect(body, got);
    REQUIRE(r.ok());
    double total = 0;
    for (auto& c : got)
      if (!std::isnan(field(c, AllocField::total_cost))) total += field(c, AllocField::total_cost);
    // Nested objects (pvs, breakdowns) carry other keys, never "totalCost" outside allocations
    // in allocation samples; asset samples have totalCost per asset, which is what we read.
    CHECK(total == Approx(naive_sum(body, "totalCost")).epsilon(1e-12));
  }
  closedir(dir);
  CHECK(json_files >= 4);
}

TEST_CASE("parser: Kubecost container-level sample, labels and the docs' placeholder key") {
  std::vector<Collected> got;
  auto r = collect(sample("kubecost_docs_api-allocation_container-level_example.json"), got,
                   {"app_kubernetes_io_name", "team"});
  REQUIRE(r.ok());
  auto it = std::find_if(got.begin(), got.end(),
                         [](auto& c) { return c.pod.starts_with("kubecost-cost-analyzer"); });
  REQUIRE(it != got.end());
  CHECK(it->ns == "kubecost");
  CHECK(it->labels == std::vector<std::string>{"cost-analyzer", ""});
  CHECK(field(*it, AllocField::load_balancer_cost) == Approx(0.003333));
  CHECK(field(*it, AllocField::pv_cost) == Approx(0.000550));
}

TEST_CASE("parser: data:[null] from Kubecost 2.4.3 is an empty answer, not an error crash") {
  std::string text = sample("issue_kubecost-3758_allocation_data-null_kubecost-2.4.3.txt");
  std::string body = text.substr(text.find("response: ") + 10);
  std::vector<Collected> got;
  auto r = collect(body, got);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().reason == FailureReason::empty);
  CHECK(got.empty());
}

TEST_CASE("parser: truncated and elided samples fail cleanly with reason parse") {
  for (const char* name : {"kubecost_docs_api-allocation-compute_unmounted_example.txt",
                           "issue_opencost-1270_kubecost-allocation-summary_excerpt.txt",
                           "issue_kubecost-2272_allocation-compute_v1.102_excerpt.txt",
                           "opencost_website_api-examples_assets_window-7d_GKE.json.txt"}) {
    INFO(name);
    std::vector<Collected> got;
    auto r = collect(sample(name), got);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::parse);
    CHECK(r.failure().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("parser: null numbers are absent (NaN), never 0; no status is fine") {
  std::vector<Collected> got;
  auto r = collect(R"({"code":200,"data":[{"a":{"name":"a","properties":{"namespace":"a"},
    "cpuCost":null,"ramCost":1.5,"cpuEfficiency":null,"totalCost":"NaN","minutes":60}}]})",
                   got);
  REQUIRE(r.ok());
  REQUIRE(got.size() == 1);
  CHECK(std::isnan(field(got[0], AllocField::cpu_cost)));
  CHECK(std::isnan(field(got[0], AllocField::cpu_efficiency)));
  CHECK(std::isnan(field(got[0], AllocField::total_cost)));
  CHECK(field(got[0], AllocField::ram_cost) == 1.5);
  CHECK(std::isnan(field(got[0], AllocField::gpu_cost)));  // missing key: absent too
}

TEST_CASE("parser: unknown keys of every shape are skipped") {
  std::vector<Collected> got;
  auto r = collect(R"({"status":"success","future":{"x":[1,{"y":[]}]},"data":[{"ns":{
    "newThing":{"deep":[[[{"a":null}]]]},"cpuCost":2,"pvs":{"cluster=c:name=p":{"cost":9}},
    "lbAllocations":null,"gpuAllocation":{"gpuModel":"x"},"properties":{"namespace":"ns",
    "services":["a","b"],"weird":[1,2]}}}],"warning":"w"})",
                   got);
  REQUIRE(r.ok());
  REQUIRE(got.size() == 1);
  CHECK(field(got[0], AllocField::cpu_cost) == 2);
  CHECK(std::isnan(field(got[0], AllocField::pv_cost)));  // the nested "cost" is not pvCost
}

TEST_CASE("parser: error bodies give one clear line") {
  std::vector<Collected> got;
  auto empty = collect("", got);
  CHECK(empty.failure().reason == FailureReason::empty);
  auto ws = collect("  \n ", got);
  CHECK(ws.failure().reason == FailureReason::empty);
  auto html = collect("<html><head><title>504 Gateway Time-out</title></head></html>", got);
  CHECK(html.failure().reason == FailureReason::parse);
  CHECK(html.failure().message == "HTML page instead of JSON: 504 Gateway Time-out");
  auto text = collect("Invalid 'window' parameter: illegal window: 1y\n", got);
  CHECK(text.failure().message == "not JSON: \"Invalid 'window' parameter: illegal window: 1y \"");
  auto code = collect(R"({"code":500,"status":"","data":null,"message":"Error: boom"})", got);
  CHECK(code.failure().reason == FailureReason::http_status);
  CHECK(code.failure().message == "Kubecost answered code 500: Error: boom");
  auto truncated = collect(R"({"code":200,"data":[{"a":{"name":"a","cpuCost":1.0,"ram)", got);
  CHECK(truncated.failure().reason == FailureReason::parse);
  auto trailing = collect(R"({"code":200,"data":[{"a":{"cpuCost":1}}]} {"x":1})", got);
  CHECK(trailing.failure().reason == FailureReason::parse);
  auto no_data = collect(R"({"code":200})", got);
  CHECK(no_data.failure().message == "response has no \"data\" field");
  auto not_utf8 = collect("{\"code\":200,\"data\":[{\"a\xff\":{\"cpuCost\":1}}]}", got);
  CHECK(not_utf8.failure().reason == FailureReason::parse);
}

TEST_CASE("parser: deeply nested JSON neither crashes nor recurses") {
  std::string open(100000, '['), close(100000, ']');
  std::vector<Collected> got;
  // Within simdjson's depth limit (1024) nesting inside an unknown key is skipped.
  std::string open_ok(1000, '['), close_ok(1000, ']');
  auto skipped = collect(
      R"({"code":200,"data":[{"a":{"x":)" + open_ok + close_ok + R"(,"totalCost":1}}]})", got);
  REQUIRE(skipped.ok());
  CHECK(got.size() == 1);
  // Deeper than that, inside an allocation or as the sets themselves: one clean parse failure
  // (the scanner counts depth in an integer; the DOM parser's stack is bounded).
  got.clear();
  auto deep =
      collect(R"({"code":200,"data":[{"a":{"x":)" + open + close + R"(,"totalCost":1}}]})", got);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.failure().reason == FailureReason::parse);
  CHECK(deep.failure().message.find("allocation \"a\"") != std::string::npos);
  auto sets = collect(R"({"data":)" + open + close + "}", got);
  REQUIRE_FALSE(sets.ok());
  CHECK(sets.failure().reason == FailureReason::parse);
  CHECK(got.empty());
  // Unbalanced: a parse failure.
  auto unbalanced = collect(R"({"data":[{"a":{"x":)" + open + "}}]}", got);
  REQUIRE_FALSE(unbalanced.ok());
  CHECK(unbalanced.failure().reason == FailureReason::parse);
}

TEST_CASE("parser: unicode names and label values with quote, backslash and newline") {
  std::vector<Collected> got;
  auto r = collect(
      R"({"data":[{"caf\u00e9-\u6e2c\u8a66/p\u00f6d":{"properties":{"namespace":"caf\u00e9-\u6e2c\u8a66","pod":"p\u00f6d","labels":{"team":"a\"b\\c\nd"}},"totalCost":1}}]})",
      got, {"team"});
  REQUIRE(r.ok());
  CHECK(got[0].ns == "café-測試");
  CHECK(got[0].pod == "pöd");
  CHECK(got[0].labels[0] == "a\"b\\c\nd");
}

TEST_CASE("parser: data as one object, several sets, label_ prefixed keys, namespaceLabels") {
  std::vector<Collected> got;
  auto r = collect(R"({"data":{"a":{"properties":{"labels":{"label_team":"x"}},"totalCost":1}}})",
                   got, {"team"});
  REQUIRE(r.ok());
  CHECK(got[0].labels[0] == "x");
  got.clear();
  auto multi = collect(R"({"data":[{"a":{"totalCost":1}},null,{"a":{"totalCost":2,
    "properties":{"namespaceLabels":{"team":"ns-team"}}}}]})",
                       got, {"team"});
  REQUIRE(multi.ok());
  CHECK(multi.value().sets == 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].set == 0);
  CHECK(got[1].set == 1);
  CHECK(got[1].labels[0] == "ns-team");
}

TEST_CASE("parser: 100 000 allocations, sums equal an independent reading") {
  DemoOptions o;
  o.pods = 100'000;
  o.namespaces = 500;
  std::string body = demo_allocation_response(o);
  double total = 0, cpu = 0;
  std::size_t n = 0;
  auto r = parse_allocations(body, ParseOptions{}, [&](const ParsedAllocation& a) {
    ++n;
    total += a.get(AllocField::total_cost);
    cpu += a.get(AllocField::cpu_cost);
  });
  REQUIRE(r.ok());
  CHECK(n == 100'002);  // plus __unmounted__ and __idle__
  CHECK(total == Approx(naive_sum(body, "totalCost")).epsilon(1e-12));
  CHECK(cpu == Approx(naive_sum(body, "cpuCost")).epsilon(1e-12));
}

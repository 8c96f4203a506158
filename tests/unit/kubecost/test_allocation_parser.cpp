#include <catch2/catch.hpp>

#include <dirent.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/util/durations.hpp"
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
  ParseOptions options;
  options.label_keys = std::move(label_keys);
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

TEST_CASE("parser: OpenCost compute answer (namespace aggregation, one line, 6-decimal numbers)") {
  std::vector<Collected> got;
  auto r = collect(sample("opencost_allocation-compute_namespace-2d_6dp.json"), got);
  REQUIRE(r.ok());
  CHECK(r.value().sets == 1);
  CHECK(r.value().allocations == 3);
  REQUIRE(got.size() == r.value().allocations);
  auto by_name = [&](const char* n) {
    auto it = std::find_if(got.begin(), got.end(), [&](auto& c) { return c.name == n; });
    REQUIRE(it != got.end());
    return *it;
  };
  auto ingress = by_name("ingress-nginx");
  CHECK(ingress.ns == "ingress-nginx");
  CHECK(ingress.pod == "ingress-nginx-controller-6d9f7c8b5-x2kqp");
  CHECK(field(ingress, AllocField::cpu_cost) == Approx(0.151706));
  CHECK(field(ingress, AllocField::load_balancer_cost) == Approx(1.199792));
  CHECK(field(ingress, AllocField::total_cost) == Approx(1.369370));
  CHECK(field(ingress, AllocField::ram_efficiency) == Approx(0.755556));
  CHECK(field(ingress, AllocField::minutes) == Approx(2879.5));
  CHECK(ingress.window_start == parse_rfc3339("2024-03-04T06:15:30Z").value());
  CHECK(ingress.window_end == parse_rfc3339("2024-03-06T06:15:30Z").value());
  // Usage without requests costs nothing: written 0.000000, read as 0 (not absent).
  auto obs = by_name("observability");
  CHECK(obs.ns == "observability");
  CHECK(obs.pod.empty());
  CHECK(field(obs, AllocField::total_cost) == 0);
  CHECK(field(obs, AllocField::cpu_efficiency) == 0);
  CHECK(field(obs, AllocField::cpu_core_usage_average) == Approx(0.021950));
}

TEST_CASE("parser: every valid JSON fixture parses, and its totals match the text") {
  DIR* dir = opendir(KCI_FIXTURES_DIR "/kubecost");
  REQUIRE(dir != nullptr);
  int json_files = 0;
  while (auto* e = readdir(dir)) {
    std::string name = e->d_name;
    if (!name.ends_with(".json")) continue;
    ++json_files;
    INFO(name);
    std::string body = sample(name);
    REQUIRE_FALSE(body.empty());
    std::vector<Collected> got;
    auto r = collect(body, got);
    REQUIRE(r.ok());
    CHECK(got.size() == r.value().allocations);
    double total = 0;
    int with_total = 0;
    for (auto& c : got)
      if (!std::isnan(field(c, AllocField::total_cost))) {
        total += field(c, AllocField::total_cost);
        ++with_total;
      }
    // Nested objects (pvs, lbAllocations, breakdowns, overhead) carry other keys, never
    // "totalCost"; asset answers have totalCost per asset, which is what we read.
    CHECK(with_total > 0);
    CHECK(total == Approx(naive_sum(body, "totalCost")).epsilon(1e-12));
  }
  closedir(dir);
  CHECK(json_files >= 6);
}

TEST_CASE("parser: OpenCost 5-decimal answer, namespaceLabels, lbAllocations and empty maps") {
  std::vector<Collected> got;
  auto r = collect(sample("opencost_allocation_namespace-7d_5dp.json"), got, {"team"});
  REQUIRE(r.ok());
  REQUIRE(got.size() == 3);
  std::map<std::string, Collected> by;
  for (auto& c : got) by.emplace(c.name, c);
  // No pod label here: the namespace label fills in.
  CHECK(by.at("batch-jobs").labels == std::vector<std::string>{"data"});
  CHECK(by.at("argocd").labels == std::vector<std::string>{""});
  // Requests of 0 with usage: Kubecost's efficiency is 1, not a division by zero.
  CHECK(field(by.at("batch-jobs"), AllocField::cpu_efficiency) == 1);
  CHECK(field(by.at("batch-jobs"), AllocField::total_cost) == Approx(0.11693));
  CHECK(field(by.at("argocd"), AllocField::cpu_cost) == Approx(1.11131));
  // The nested lbAllocations "cost" is not read as anything; loadBalancerCost is.
  CHECK(field(by.at("default"), AllocField::load_balancer_cost) == Approx(0.84));
  CHECK(field(by.at("default"), AllocField::total_cost) == Approx(1.02531));
  CHECK(by.at("default").window_end == parse_rfc3339("2024-05-20T09:41:07Z").value());
}

TEST_CASE("parser: Kubecost container-level answer, labels and the docs' placeholder key") {
  std::vector<Collected> got;
  auto r = collect(sample("kubecost_allocation_container-level.json"), got,
                   {"app_kubernetes_io_name", "team"});
  REQUIRE(r.ok());
  // One real allocation, then the docs' "...etc": {} in the first set and alone in the second.
  CHECK(r.value().sets == 2);
  REQUIRE(got.size() == 3);
  auto it = std::find_if(got.begin(), got.end(),
                         [](auto& c) { return c.pod.starts_with("checkout-api-"); });
  REQUIRE(it != got.end());
  CHECK(it->ns == "payments");
  CHECK(it->pod == "checkout-api-7c9d5f6b8-qz4lm");
  CHECK(it->labels == std::vector<std::string>{"checkout-api", ""});
  CHECK(field(*it, AllocField::load_balancer_cost) == Approx(0.002083));
  CHECK(field(*it, AllocField::pv_cost) == Approx(0.001142));  // not the nested pvs "cost"
  CHECK(field(*it, AllocField::total_cost) == Approx(0.008840));
  for (auto& c : got) {
    if (c.name != "...etc") continue;
    CHECK(c.ns.empty());
    CHECK(std::isnan(field(c, AllocField::total_cost)));  // nothing in it: absent, never 0
  }
  CHECK(std::count_if(got.begin(), got.end(), [](auto& c) { return c.name == "...etc"; }) == 2);
}

TEST_CASE("parser: Kubecost compute answer without aggregate: __unmounted__ and __idle__") {
  std::vector<Collected> got;
  auto r = collect(sample("kubecost_allocation-compute_container_idle-unmounted.json"), got);
  REQUIRE(r.ok());
  REQUIRE(got.size() == 3);
  std::map<std::string, Collected> by;
  for (auto& c : got) by.emplace(c.name, c);
  // The node segment of the key is empty for a PV nobody mounts.
  auto& un = by.at("onprem-east//__unmounted__/__unmounted__/__unmounted__");
  CHECK(un.ns == "__unmounted__");
  CHECK(un.pod == "__unmounted__");
  CHECK(field(un, AllocField::cpu_cost) == 0);
  CHECK(field(un, AllocField::pv_cost) == Approx(0.131507));
  CHECK(field(un, AllocField::total_cost) == Approx(0.131507));
  auto& idle = by.at("__idle__");
  CHECK(idle.ns.empty());
  CHECK(field(idle, AllocField::total_cost) == Approx(1.780210));
  auto& cart = by.at("onprem-east/node-b3/shop/cart-5f7b9cd4c8-w8n2z/cart");
  CHECK(cart.ns == "shop");
  CHECK(field(cart, AllocField::total_cost) == Approx(0.262675));
  CHECK(field(cart, AllocField::minutes) == Approx(1185.0));
  CHECK(cart.window_start == parse_rfc3339("2024-06-02T00:00:00Z").value());
}

TEST_CASE("parser: every refused fixture fails with its reason and one clear line") {
  struct Want {
    FailureReason reason;
    std::string message;  // exact, or a prefix when it ends with '*'
  };
  const std::map<std::string, Want> want = {
      {"kubecost-2.4_allocation_data-null.json",
       {FailureReason::empty, "response holds no allocations (data: 0 non-null sets)"}},
      {"kubecost_allocation-compute_unmounted_missing-brace.txt",
       {FailureReason::parse, "invalid JSON*"}},
      {"kubecost_allocation-compute_v1.102_truncated.txt", {FailureReason::parse, "invalid JSON*"}},
      {"kubecost_allocation-summary_truncated.txt", {FailureReason::parse, "invalid JSON*"}},
      {"kubecost_assets_aggregate-type_truncated.txt", {FailureReason::parse, "invalid JSON*"}},
      {"opencost_assets_gke_elided.txt", {FailureReason::parse, "invalid JSON*"}},
      {"nginx_504_gateway-timeout.html",
       {FailureReason::parse, "HTML page instead of JSON: 504 Gateway Time-out"}},
      {"opencost_empty-200.txt", {FailureReason::empty, "empty response body"}},
      {"opencost_error_500.json",
       {FailureReason::http_status,
        "Kubecost answered code 500: Error: error querying prometheus: query timed out in query "
        "execution"}},
      {"opencost_error_filter-400.json",
       {FailureReason::http_status,
        "Kubecost answered code 400: Invalid filter: unexpected token '+' at position 14"}},
      {"opencost_error_invalid-window.txt",
       {FailureReason::parse,
        "not JSON: \"Invalid 'window' parameter: illegal window: 3fortnights \""}},
  };
  DIR* dir = opendir(KCI_FIXTURES_DIR "/kubecost/refused");
  REQUIRE(dir != nullptr);
  std::size_t files = 0;
  while (auto* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    ++files;
    INFO(name);
    REQUIRE(want.count(name) == 1);  // a new fixture needs its expectation here
    std::vector<Collected> got;
    auto r = collect(sample("refused/" + name), got);
    REQUIRE_FALSE(r.ok());
    const Want& w = want.at(name);
    CHECK(r.failure().reason == w.reason);
    if (w.message.ends_with('*'))
      CHECK(r.failure().message.starts_with(w.message.substr(0, w.message.size() - 1)));
    else
      CHECK(r.failure().message == w.message);
    CHECK(r.failure().message.find('\n') == std::string::npos);
    if (w.reason != FailureReason::parse) CHECK(got.empty());
  }
  closedir(dir);
  CHECK(files == want.size());
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

TEST_CASE("allocation parser: a label key wanted twice gets its value in both places") {
  // s3-export asks for LABELS and then the node labels; one key may be in both lists.
  std::vector<Collected> got;
  auto r = collect(R"({"code":200,"data":[{"a":{"name":"a","properties":{"labels":{
      "label_kubernetes_io_os":"linux","team":"web"}},"totalCost":1}}]})",
                   got, {"kubernetes_io_os", "team", "kubernetes_io_os"});
  REQUIRE(r.ok());
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == std::vector<std::string>{"linux", "web", "linux"});
}

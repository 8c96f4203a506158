// TopPods: the bounded pod part of a snapshot, checked against a brute-force selection.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "exporter/serve/top_pods.hpp"

namespace {

using kci::CostFamily;
using kci::CostRow;

kci::ParsedAllocation allocation(double total, double cpu) {
  kci::ParsedAllocation a{};
  a.values.fill(NAN);
  a.values[static_cast<std::size_t>(kci::AllocField::total_cost)] = total;
  a.values[static_cast<std::size_t>(kci::AllocField::cpu_cost)] = cpu;
  return a;
}

struct Input {
  std::size_t ns;
  std::string pod;
  double total;
};

std::vector<CostRow> namespace_rows(std::size_t n) {
  std::vector<CostRow> rows;
  for (std::size_t i = 0; i < n; ++i) {
    CostRow row{"c", "ns" + std::to_string(i), "", {}, {}};
    row.acc.has_cost[static_cast<std::size_t>(CostFamily::total)] = true;
    row.acc.has_cost[static_cast<std::size_t>(CostFamily::cpu)] = true;
    rows.push_back(row);
  }
  return rows;
}

// The kept pod names, expected by a full sort: total descending, first seen wins ties.
std::set<std::string> brute_force_top(const std::vector<Input>& in, std::size_t keep) {
  std::map<std::string, std::pair<double, std::size_t>> pods;  // key -> (total, first seen)
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string key = "ns" + std::to_string(in[i].ns) + "/" + in[i].pod;
    auto [it, fresh] = pods.try_emplace(key, 0.0, i);
    it->second.first += in[i].total;
  }
  std::vector<std::pair<std::string, std::pair<double, std::size_t>>> v(pods.begin(), pods.end());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (a.second.first != b.second.first) return a.second.first > b.second.first;
    return a.second.second < b.second.second;
  });
  std::set<std::string> top;
  for (std::size_t i = 0; i < std::min(keep, v.size()); ++i) top.insert(v[i].first);
  return top;
}

struct Outcome {
  std::set<std::string> kept;
  std::map<std::size_t, double> ns_sum;  // kept + __other__, per namespace
  std::size_t max_held = 0;
  std::size_t rows = 0;
};

Outcome run(const std::vector<Input>& in, std::size_t keep, std::size_t capacity,
            std::size_t namespaces) {
  kci::TopPods top(keep, capacity);
  Outcome out;
  for (const auto& i : in) {
    top.add(i.ns, "c", "ns" + std::to_string(i.ns), i.pod, allocation(i.total, i.total / 2));
    out.max_held = std::max(out.max_held, top.held());
  }
  const auto rows = std::move(top).finish(namespace_rows(namespaces));
  out.rows = rows.size();
  for (const auto& r : rows) {
    const std::size_t ns = std::stoul(r.namespace_name.substr(2));
    out.ns_sum[ns] += r.acc.cost_of(CostFamily::total);
    if (r.pod != "__other__") out.kept.insert(r.namespace_name + "/" + r.pod);
  }
  return out;
}

}  // namespace

TEST_CASE("top pods: one set holds at most N pods and keeps exactly the N highest") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> cost(0, 100);
  std::vector<Input> in;
  std::map<std::size_t, double> want_sum;
  for (int i = 0; i < 5000; ++i) {
    const std::size_t ns = static_cast<std::size_t>(i % 37);
    // Rounded costs make ties common, so the first-seen rule is exercised.
    const double total = std::round(cost(rng));
    in.push_back({ns, "p" + std::to_string(i), total});
    want_sum[ns] += total;
  }
  const auto out = run(in, 50, 50, 37);
  CHECK(out.max_held <= 50);
  CHECK(out.kept == brute_force_top(in, 50));
  CHECK(out.rows == 50 + 37);
  for (const auto& [ns, sum] : want_sum) CHECK(out.ns_sum.at(ns) == Approx(sum).epsilon(1e-12));
}

TEST_CASE("top pods: several sets merge a pod across sets and cut exactly at the end") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> cost(0, 10);
  std::vector<Input> in;
  for (int set = 0; set < 6; ++set)
    for (int p = 0; p < 400; ++p)
      in.push_back({static_cast<std::size_t>(p % 9), "p" + std::to_string(p), cost(rng)});
  const auto out = run(in, 20, static_cast<std::size_t>(-1), 9);
  CHECK(out.kept == brute_force_top(in, 20));
  // A pod whose costs are spread over sets: a one-set bound would have cut it early.
  std::vector<Input> spread;
  spread.reserve(150);
  for (int p = 0; p < 30; ++p) spread.push_back({0, "big" + std::to_string(p), 1.0});
  for (int p = 0; p < 30; ++p) spread.push_back({0, "small" + std::to_string(p), 0.5});
  for (int set = 0; set < 3; ++set)
    for (int p = 0; p < 30; ++p) spread.push_back({0, "small" + std::to_string(p), 0.5});
  CHECK(run(spread, 30, static_cast<std::size_t>(-1), 1).kept == brute_force_top(spread, 30));
}

TEST_CASE("top pods: a key repeated within a set never gives two rows with one name") {
  std::vector<Input> in;
  in.reserve(12);
  for (int i = 0; i < 10; ++i) in.push_back({0, "p" + std::to_string(i), 10.0 + i});
  in.push_back({0, "p0", 100.0});  // pushed out earlier, seen again: starts over
  in.push_back({0, "p9", 1.0});    // kept, seen again: merged
  const auto out = run(in, 3, 3, 1);
  CHECK(out.kept == std::set<std::string>{"ns0/p0", "ns0/p9", "ns0/p8"});
  double sum = 0;
  for (const auto& i : in) sum += i.total;
  CHECK(out.ns_sum.at(0) == Approx(sum));
}

TEST_CASE("top pods: N = 0 keeps none; pods without a total rank last") {
  std::vector<Input> in = {{0, "a", 1.0}, {1, "b", 2.0}};
  const auto none = run(in, 0, 0, 2);
  CHECK(none.kept.empty());
  CHECK(none.ns_sum.at(1) == 2.0);
  kci::TopPods top(1, 1);
  top.add(0, "c", "ns0", "no-total", allocation(NAN, 1.0));
  top.add(0, "c", "ns0", "zero", allocation(0.0, 0.0));
  const auto rows = std::move(top).finish(namespace_rows(1));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].pod == "zero");
  CHECK(rows[1].pod == "__other__");
  CHECK(rows[1].acc.cost_of(CostFamily::cpu) == 1.0);
}

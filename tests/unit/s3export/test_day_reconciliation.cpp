#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "exporter/s3export/day_reconciliation.hpp"

using namespace kci;

namespace {

constexpr std::int64_t k_day = 19798;  // 2024-03-16
constexpr double k_day_start = k_day * 86400.0;

struct Row {
  std::string name;
  double hour = -1;  // -1: the ETL's day set
  std::map<AllocField, double> values;
  double data_start = NAN, data_end = NAN;
};

ParsedAllocation parsed(const Row& r) {
  ParsedAllocation a;
  a.values.fill(NAN);
  a.name = r.name;
  for (const auto& [f, v] : r.values) a.values[static_cast<std::size_t>(f)] = v;
  if (r.hour < 0) {
    a.window_start = k_day_start;
    a.window_end = k_day_start + 86400;
  } else {
    a.window_start = k_day_start + r.hour * 3600;
    a.window_end = a.window_start + 3600;
  }
  a.data_start = r.data_start;
  a.data_end = r.data_end;
  return a;
}

double at(const std::array<double, k_alloc_field_count>& v, AllocField f) {
  return v[static_cast<std::size_t>(f)];
}

// The sums, per field, of every hourly row as reconciled.
std::map<AllocField, double> reconciled_sums(const DayReconciliation& r,
                                             const std::vector<Row>& hourly) {
  std::map<AllocField, double> sums;
  for (const Row& h : hourly) {
    const auto v = r.adjusted(parsed(h));
    for (std::size_t f = 0; f < k_alloc_field_count; ++f)
      if (!std::isnan(v[f])) sums[static_cast<AllocField>(f)] += v[f];
  }
  return sums;
}

}  // namespace

TEST_CASE("reconciliation: hourly rows sum to the ETL day's reconciled figures, part by part") {
  using A = AllocField;
  // The ETL day of one container: raw costs, adjustments (an RI discount on cpu, a Spot
  // credit on ram, a network true-up), shared and external costs; totalCost as Kubecost adds it.
  Row etl{"c/n/ns/p/app",
          -1,
          {{A::cpu_cost, 2.40},
           {A::cpu_cost_adjustment, -0.60},
           {A::ram_cost, 1.20},
           {A::ram_cost_adjustment, -0.30},
           {A::network_cost, 0.10},
           {A::network_cost_adjustment, 0.05},
           {A::pv_cost, 0.24},
           {A::gpu_cost, 0},
           {A::load_balancer_cost, 0.48},
           {A::shared_cost, 0.2},
           {A::external_cost, 0.1}}};
  etl.values[A::total_cost] = 2.40 - 0.60 + 1.20 - 0.30 + 0.10 + 0.05 + 0.24 + 0.48 + 0.2 + 0.1;
  // Its 24 hours from the On-Demand API: unadjusted, a little off the ETL's raw figures, with
  // cpu cost rising through the day and no load-balancer cost at all.
  std::vector<Row> hourly;
  for (int h = 0; h < 24; ++h) {
    Row r{"c/n/ns/p/app",
          static_cast<double>(h),
          {{A::cpu_cost, 0.01 * (h + 1)},
           {A::cpu_cost_adjustment, 0},
           {A::ram_cost, 0.05},
           {A::network_cost, 0.004},
           {A::pv_cost, 0.01},
           {A::load_balancer_cost, 0},
           {A::shared_cost, 0.008},
           {A::external_cost, 0.004}}};
    double total = 0;
    for (auto f :
         {A::cpu_cost, A::ram_cost, A::network_cost, A::pv_cost, A::shared_cost, A::external_cost})
      total += r.values[f];
    r.values[A::total_cost] = total;
    hourly.push_back(r);
  }
  DayReconciliation rec(k_day);
  rec.add_etl(parsed(etl));
  for (const Row& h : hourly) rec.add_hourly(parsed(h));
  CHECK(rec.incomplete_reason().empty());

  const auto sums = reconciled_sums(rec, hourly);
  const auto reconciled = [&](A cost, A adjustment) {
    return etl.values[cost] + (etl.values.count(adjustment) ? etl.values[adjustment] : 0.0);
  };
  CHECK(std::fabs(sums.at(A::cpu_cost) + sums.at(A::cpu_cost_adjustment) -
                  reconciled(A::cpu_cost, A::cpu_cost_adjustment)) < 1e-9);
  CHECK(std::fabs(sums.at(A::ram_cost) + sums.at(A::ram_cost_adjustment) -
                  reconciled(A::ram_cost, A::ram_cost_adjustment)) < 1e-9);
  CHECK(std::fabs(sums.at(A::network_cost) + sums.at(A::network_cost_adjustment) -
                  reconciled(A::network_cost, A::network_cost_adjustment)) < 1e-9);
  CHECK(std::fabs(sums.at(A::pv_cost) + sums.at(A::pv_cost_adjustment) - etl.values[A::pv_cost]) <
        1e-9);
  CHECK(std::fabs(sums.at(A::load_balancer_cost) + sums.at(A::load_balancer_cost_adjustment) -
                  etl.values[A::load_balancer_cost]) < 1e-9);
  CHECK(std::fabs(sums.at(A::total_cost) - etl.values[A::total_cost]) < 1e-9);

  // Raw costs stay as the On-Demand API sent them; the cpu gap is spread by each hour's raw
  // cpu cost (hour 23 carries 24x hour 0's share); the load-balancer gap, whose raw hours are
  // all 0, evenly.
  const auto h0 = rec.adjusted(parsed(hourly[0]));
  const auto h23 = rec.adjusted(parsed(hourly[23]));
  CHECK(at(h0, A::cpu_cost) == hourly[0].values[A::cpu_cost]);
  CHECK(at(h23, A::cpu_cost_adjustment) == Approx(24 * at(h0, A::cpu_cost_adjustment)));
  const double cpu_raw = 0.01 * 24 * 25 / 2;
  CHECK(at(h0, A::cpu_cost_adjustment) == Approx((1.80 - cpu_raw) * 0.01 / cpu_raw));
  CHECK(at(h0, A::load_balancer_cost_adjustment) == Approx(0.48 / 24));
  CHECK(at(h23, A::load_balancer_cost_adjustment) == Approx(0.48 / 24));
  // totalCost of an hour: every part's raw figure plus its share.
  double parts = 0;
  for (auto [c, a] : {std::pair{A::cpu_cost, A::cpu_cost_adjustment},
                      {A::gpu_cost, A::gpu_cost_adjustment},
                      {A::ram_cost, A::ram_cost_adjustment},
                      {A::pv_cost, A::pv_cost_adjustment},
                      {A::network_cost, A::network_cost_adjustment},
                      {A::load_balancer_cost, A::load_balancer_cost_adjustment}})
    parts += (std::isnan(at(h0, c)) ? 0 : at(h0, c)) + at(h0, a);
  CHECK(at(h0, A::total_cost) > parts);  // plus shared and external, and their share
}

TEST_CASE("reconciliation: names on one side only") {
  using A = AllocField;
  DayReconciliation rec(k_day);
  // The ETL has "both" and "etl-only"; the On-Demand hours have "both" and "hourly-only".
  rec.add_etl(parsed({"both", -1, {{A::cpu_cost, 3}, {A::total_cost, 3}}}));
  rec.add_etl(parsed({"etl-only", -1, {{A::cpu_cost, 1}, {A::total_cost, 1}}}));
  std::vector<Row> hourly;
  for (int h = 0; h < 24; ++h) {
    hourly.push_back({"both", static_cast<double>(h), {{A::cpu_cost, 0.1}, {A::total_cost, 0.1}}});
    hourly.push_back(
        {"hourly-only", static_cast<double>(h), {{A::cpu_cost, 0.05}, {A::total_cost, 0.05}}});
  }
  for (const Row& h : hourly) rec.add_hourly(parsed(h));
  CHECK(rec.in_etl("etl-only"));
  CHECK_FALSE(rec.in_hourly("etl-only"));  // day_export writes its ETL row
  CHECK(rec.in_hourly("hourly-only"));
  CHECK_FALSE(rec.in_etl("hourly-only"));
  CHECK(rec.hourly_only_names() == 1);
  // "hourly-only" is reconciled to 0 (its adjustments cancel its raw cost, which stays shown);
  // "both" to the ETL's 3.
  double both = 0, only = 0;
  for (const Row& h : hourly) {
    const auto v = rec.adjusted(parsed(h));
    CHECK(at(v, A::cpu_cost) == h.values.at(A::cpu_cost));
    (h.name == "both" ? both : only) += at(v, A::total_cost);
    if (h.name == "hourly-only") CHECK(at(v, A::cpu_cost_adjustment) == Approx(-0.05));
  }
  CHECK(std::fabs(both - 3) < 1e-9);
  CHECK(std::fabs(only) < 1e-12);
}

TEST_CASE("reconciliation: a day is whole only with every hour the ETL has, and its total") {
  using A = AllocField;
  SECTION("hours the ETL has and the On-Demand API lacks (Prometheus' retention edge)") {
    DayReconciliation rec(k_day);
    rec.add_etl(parsed({"a", -1, {{A::total_cost, 16.34}}}));
    for (int h = 20; h < 24; ++h)  // only the last 4 hours are still in Prometheus
      rec.add_hourly(parsed({"a", static_cast<double>(h), {{A::total_cost, 0.6}}}));
    CHECK(rec.incomplete_reason() ==
          "the On-Demand API answered no allocation for hour(s) 00-19 UTC, which the ETL day has "
          "data for (outside Prometheus' retention?)");
  }
  SECTION("a cluster installed at 13:25: the ETL's own start says which hours count") {
    DayReconciliation rec(k_day);
    rec.add_etl(parsed(
        {"a", -1, {{A::total_cost, 5.3}}, k_day_start + 13 * 3600 + 25 * 60, k_day_start + 86400}));
    for (int h = 13; h < 24; ++h)
      rec.add_hourly(parsed({"a", static_cast<double>(h), {{A::total_cost, 0.48}}}));
    CHECK(rec.incomplete_reason().empty());
    DayReconciliation gap(k_day);
    gap.add_etl(parsed(
        {"a", -1, {{A::total_cost, 5.3}}, k_day_start + 13 * 3600 + 25 * 60, k_day_start + 86400}));
    for (int h = 13; h < 24; ++h)
      if (h != 17 && h != 18)
        gap.add_hourly(parsed({"a", static_cast<double>(h), {{A::total_cost, 0.48}}}));
    CHECK(
        gap.incomplete_reason().starts_with("the On-Demand API answered no allocation for "
                                            "hour(s) 17-18 UTC"));
  }
  SECTION("every hour there, but the total short of the ETL's raw total by more than 1 %") {
    DayReconciliation rec(k_day);
    // ETL: totalCost 10 of which -1 adjustment: raw 11.
    rec.add_etl(
        parsed({"a", -1, {{A::cpu_cost, 11}, {A::cpu_cost_adjustment, -1}, {A::total_cost, 10}}}));
    for (int h = 0; h < 24; ++h)
      rec.add_hourly(parsed(
          {"a", static_cast<double>(h), {{A::cpu_cost, 10.8 / 24}, {A::total_cost, 10.8 / 24}}}));
    CHECK(rec.incomplete_reason() ==
          "the On-Demand API's raw total 10.800000 is short of the ETL day's 11.000000 by more "
          "than 1%");
    DayReconciliation close(k_day);  // 10.95 of 11: within 1 %, as resolutions differ
    close.add_etl(
        parsed({"a", -1, {{A::cpu_cost, 11}, {A::cpu_cost_adjustment, -1}, {A::total_cost, 10}}}));
    for (int h = 0; h < 24; ++h)
      close.add_hourly(parsed(
          {"a", static_cast<double>(h), {{A::cpu_cost, 10.95 / 24}, {A::total_cost, 10.95 / 24}}}));
    CHECK(close.incomplete_reason().empty());
  }
}

TEST_CASE("reconciliation: the names a day keeps are bounded") {
  DayReconciliation rec(k_day);
  std::string name;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < k_max_day_names; ++i) {
    name = "n" + std::to_string(i);
    if (rec.add_etl(parsed({name, -1, {{AllocField::total_cost, 1}}})) == AddResult::ok) ++kept;
  }
  REQUIRE(kept == k_max_day_names);
  // A known name still counts; a new one is refused, on either side.
  CHECK(rec.add_hourly(parsed({name, 3, {{AllocField::total_cost, 1}}})) == AddResult::ok);
  CHECK(rec.add_etl(parsed({"one-too-many", -1, {{AllocField::total_cost, 1}}})) ==
        AddResult::too_many_names);
  CHECK(rec.add_hourly(parsed({"one-too-many", 3, {{AllocField::total_cost, 1}}})) ==
        AddResult::too_many_names);
  CHECK_FALSE(rec.in_etl("one-too-many"));
  // Long names reach the byte bound first.
  DayReconciliation long_names(k_day);
  const std::string pad(1 << 20, 'x');
  std::size_t long_kept = 0;
  for (int i = 0; i < 10; ++i)
    if (long_names.add_etl(parsed({std::to_string(i) + pad, -1, {}})) == AddResult::ok) ++long_kept;
  CHECK(long_kept == k_max_day_name_bytes / (pad.size() + 1));
}

TEST_CASE("reconciliation: what a Kubecost may get wrong makes the day not whole, or fails it") {
  using A = AllocField;
  const auto whole_day = [](DayReconciliation& rec, double cost) {
    rec.add_etl(parsed({"a", -1, {{A::cpu_cost, 24 * cost}, {A::total_cost, 24 * cost}}}));
    for (int h = 0; h < 24; ++h)
      rec.add_hourly(
          parsed({"a", static_cast<double>(h), {{A::cpu_cost, cost}, {A::total_cost, cost}}}));
  };
  SECTION("an hour answered twice") {
    DayReconciliation rec(k_day);
    whole_day(rec, 1);
    CHECK(rec.incomplete_reason().empty());
    rec.add_hourly(parsed({"a", 0, {{A::cpu_cost, 1}, {A::total_cost, 1}}}));
    CHECK(rec.incomplete_reason() == "the On-Demand API answered \"a\" twice for one hour");
  }
  SECTION("a name twice in the ETL day set fails the day") {
    DayReconciliation rec(k_day);
    CHECK(rec.add_etl(parsed({"a", -1, {{A::total_cost, 1}}})) == AddResult::ok);
    CHECK(rec.add_etl(parsed({"a", -1, {{A::total_cost, 1}}})) == AddResult::repeated);
  }
  SECTION("a cost that overflows the sums") {
    DayReconciliation rec(k_day);
    whole_day(rec, 1);
    rec.add_hourly(parsed({"b", 1, {{A::cpu_cost, 1.7e308}, {A::total_cost, 1.7e308}}}));
    rec.add_hourly(parsed({"b", 2, {{A::cpu_cost, 1.7e308}, {A::total_cost, 1.7e308}}}));
    CHECK(rec.incomplete_reason().starts_with("a cost in the answers is not finite"));
  }
  SECTION("answers naming different allocations (naming drift between the APIs)") {
    DayReconciliation rec(k_day);
    rec.add_etl(parsed({"cluster-one/n/ns/p/c", -1, {{A::cpu_cost, 24}, {A::total_cost, 24}}}));
    for (int h = 0; h < 24; ++h)
      rec.add_hourly(
          parsed({"ns/p/c", static_cast<double>(h), {{A::cpu_cost, 1}, {A::total_cost, 1}}}));
    CHECK(rec.incomplete_reason().starts_with("the two answers describe different allocations"));
  }
}

#pragma once
// What makes an hourly day whole, and the reconciled figures its hourly rows carry.
//
// Kubecost has two sources of a day (kubecost_api.hpp): the ETL store's day set (reconciled, for
// the whole ETL retention) and the On-Demand API's hours (from Prometheus: only inside its
// retention, never adjusted). s3-export reads both for an hourly day and feeds them here, one
// allocation at a time; this keeps, per allocation name, a handful of sums (never the rows).
//
// Whole (incomplete_reason() empty): the hourly answer has every hour the ETL day has data for
// (the hours its allocations' own `start`..`end` overlap); its raw total (totalCost less the
// adjustments) is not short of the ETL day's raw total by more than k_hourly_shortfall; no
// allocation comes twice in one hour; every sum is finite; and the two answers describe the same
// allocations: at most k_one_side_share of either side's raw cost is on names the other lacks
// (naming or aggregation drift between the APIs would otherwise reconcile every hourly row to 0).
// Otherwise the day is exported from the ETL's daily set instead (day_export.hpp).
//
// Reconciled (adjusted()): for each allocation name and each cost part (cpu, gpu, ram, pv,
// network, loadBalancer, and the rest of totalCost: shared and external costs), the ETL day's
// reconciled figure (cost + adjustment; the rest: totalCost less the six) less the sum of the
// hourly raw figures is spread over the name's hourly rows in proportion to each hour's raw
// figure (its absolute value; evenly where they are all zero). The hourly row's
// `*CostAdjustment` is its share for that part, its raw costs stay as the On-Demand API sent
// them, and its totalCost is the sum of every part's raw figure plus its share, as Kubecost's
// Allocation.TotalCost adds (cost + adjustment) per resource, shared and external costs (opencost
// core/pkg/opencost/allocation.go). So the day's hourly rows of a name sum, part by part and in
// totalCost, to the ETL day's reconciled figures.
//
// Names on one side only:
//  - the ETL has it, the hourly answer does not: day_export writes the ETL's daily row for it as
//    it is (window.start/window.end span the day), so its reconciled cost is in the day;
//  - the hourly answer has it, the ETL does not: its reconciled figures are 0 (the ETL, Kubecost's
//    reconciled record, put that cost elsewhere, normally in the node's idle), so its
//    adjustments cancel its raw costs; its raw columns still show what the On-Demand API said.
// Either way the day's totalCost sums to the ETL day's.
#include <array>
#include <bitset>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "exporter/kubecost/allocation_parser.hpp"

namespace kci {

// How far the hourly answer's raw total may fall short of the ETL day's before the day counts
// as incomplete: On-Demand and ETL compute the same day from the same Prometheus data, but at
// different resolutions (KUBECOST_ALLOCATION_API_RESOLUTION against the ETL's), and Kubecost
// rounds hourly costs to 5 decimals (opencost core/pkg/opencost/allocation_json.go).
inline constexpr double k_hourly_shortfall = 0.01;
inline constexpr double k_one_side_share = 0.5;

// The most allocation names, and name bytes, a day may have: what the sums of an hourly day may
// hold, whatever a Kubecost answers. Measured: a 20 000-container day peaks at 70 MiB RSS in all
// (tests/bench/s3_export_memory.py); 200 000 names of 60 bytes took 256 MiB, over the CronJob's
// 192 MiB limit, so the bound is half that, five times a 20 000-container day.
inline constexpr std::size_t k_max_day_names = 100'000;
inline constexpr std::size_t k_max_day_name_bytes = 8u << 20;

enum class AddResult : std::uint8_t {
  ok,
  too_many_names,  // past k_max_day_names or k_max_day_name_bytes: the day fails (too_large)
  repeated,        // ETL: the name is in the day set already: the day fails (parse)
};

class DayReconciliation {
 public:
  explicit DayReconciliation(std::int64_t day);

  // One row of the ETL day set / of the On-Demand hours (nothing is kept unless ok). A name the
  // On-Demand API repeats within an hour makes the day not whole (incomplete_reason).
  AddResult add_etl(const ParsedAllocation& allocation);
  AddResult add_hourly(const ParsedAllocation& allocation);

  // "" when the hourly answer is whole, else why not (one line, for the log).
  std::string incomplete_reason() const;
  // Whether the ETL day has a row named `name` / the hourly answer has one.
  bool in_etl(std::string_view name) const;
  bool in_hourly(std::string_view name) const;
  // Hourly names the ETL day lacks (their adjustments cancel their raw costs).
  std::size_t hourly_only_names() const;

  // The values of hourly row `allocation` (fed to add_hourly) with its adjustments and
  // totalCost reconciled as described above.
  std::array<double, k_alloc_field_count> adjusted(const ParsedAllocation& allocation) const;

 private:
  static constexpr std::size_t k_parts = 7;  // cpu, gpu, ram, pv, network, loadBalancer, rest
  using Parts = std::array<double, k_parts>;
  struct Sums {
    Parts target{};         // the ETL day's reconciled figures
    Parts raw{};            // sum of the hourly raw figures
    Parts weight{};         // sum of their absolute values
    double etl_raw = 0;     // the ETL row's totalCost less its adjustments
    std::bitset<24> hours;  // the hours the On-Demand API has it in
    std::uint32_t hourly_rows = 0;
    bool in_etl = false;
  };

  Sums* sums_of(std::string_view name);  // nullptr past k_max_day_names

  std::int64_t m_day;
  std::map<std::string, Sums, std::less<>> m_names;
  std::bitset<24> m_etl_hours, m_hourly_hours;
  double m_etl_raw_total = 0, m_hourly_raw_total = 0;
  std::size_t m_etl_rows = 0, m_hourly_rows = 0, m_name_bytes = 0;
  std::string m_repeat;  // the first name the On-Demand API repeated within an hour
};

}  // namespace kci

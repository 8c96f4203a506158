#include "exporter/s3export/day_reconciliation.hpp"

#include <cmath>
#include <cstdio>

#include "exporter/s3export/utc_day.hpp"

namespace kci {
namespace {

// The six resources' cost and adjustment fields, in DayReconciliation's part order.
constexpr std::array<std::pair<AllocField, AllocField>, 6> k_resources = {{
    {AllocField::cpu_cost, AllocField::cpu_cost_adjustment},
    {AllocField::gpu_cost, AllocField::gpu_cost_adjustment},
    {AllocField::ram_cost, AllocField::ram_cost_adjustment},
    {AllocField::pv_cost, AllocField::pv_cost_adjustment},
    {AllocField::network_cost, AllocField::network_cost_adjustment},
    {AllocField::load_balancer_cost, AllocField::load_balancer_cost_adjustment},
}};

double value_or_zero(const ParsedAllocation& a, AllocField f) {
  const double v = a.get(f);
  return std::isnan(v) ? 0.0 : v;
}

double adjustments(const ParsedAllocation& a) {
  double sum = 0;
  for (const auto& [cost, adjustment] : k_resources) sum += value_or_zero(a, adjustment);
  return sum;
}

// "00-19,22": the set hours as ranges.
std::string hour_ranges(const std::bitset<24>& hours) {
  std::string out;
  for (std::size_t h = 0; h < 24; ++h) {
    if (!hours.test(h)) continue;
    std::size_t last = h;
    while (last + 1 < 24 && hours.test(last + 1)) ++last;
    char range[16];
    if (last == h)
      std::snprintf(range, sizeof range, "%02zu", h);
    else
      std::snprintf(range, sizeof range, "%02zu-%02zu", h, last);
    out += (out.empty() ? "" : ",") + std::string(range);
    h = last;
  }
  return out;
}

}  // namespace

DayReconciliation::DayReconciliation(std::int64_t day) : m_day(day) {}

DayReconciliation::Sums* DayReconciliation::sums_of(std::string_view name) {
  if (auto it = m_names.find(name); it != m_names.end()) return &it->second;
  if (m_names.size() >= k_max_day_names || m_name_bytes + name.size() > k_max_day_name_bytes)
    return nullptr;
  m_name_bytes += name.size();
  return &m_names.emplace(std::string(name), Sums{}).first->second;
}

AddResult DayReconciliation::add_etl(const ParsedAllocation& a) {
  Sums* found = sums_of(a.name);
  if (!found) return AddResult::too_many_names;
  Sums& sums = *found;
  if (sums.in_etl) return AddResult::repeated;
  sums.in_etl = true;
  double six = 0;
  for (std::size_t p = 0; p < k_resources.size(); ++p) {
    const double reconciled =
        value_or_zero(a, k_resources[p].first) + value_or_zero(a, k_resources[p].second);
    sums.target[p] += reconciled;
    six += reconciled;
  }
  sums.target[k_parts - 1] += value_or_zero(a, AllocField::total_cost) - six;
  sums.etl_raw = value_or_zero(a, AllocField::total_cost) - adjustments(a);
  m_etl_raw_total += sums.etl_raw;
  ++m_etl_rows;
  // The hours the row's own data covers (its `start`..`end`, else its set window).
  const double day_start = static_cast<double>(m_day * k_day_seconds);
  double s = std::isnan(a.data_start) ? a.window_start : a.data_start;
  double e = std::isnan(a.data_end) ? a.window_end : a.data_end;
  if (std::isnan(s) || std::isnan(e)) {
    s = day_start;
    e = day_start + k_day_seconds;
  }
  for (std::size_t h = 0; h < 24; ++h) {
    const double h0 = day_start + static_cast<double>(h) * 3600;
    if (s < h0 + 3600 && e > h0) m_etl_hours.set(h);
  }
  return AddResult::ok;
}

AddResult DayReconciliation::add_hourly(const ParsedAllocation& a) {
  Sums* found = sums_of(a.name);
  if (!found) return AddResult::too_many_names;
  Sums& sums = *found;
  ++sums.hourly_rows;
  double six = 0;
  for (std::size_t p = 0; p < k_resources.size(); ++p) {
    const double raw = value_or_zero(a, k_resources[p].first);
    sums.raw[p] += raw;
    sums.weight[p] += std::fabs(raw);
    six += raw + value_or_zero(a, k_resources[p].second);
  }
  const double rest = value_or_zero(a, AllocField::total_cost) - six;
  sums.raw[k_parts - 1] += rest;
  sums.weight[k_parts - 1] += std::fabs(rest);
  m_hourly_raw_total += value_or_zero(a, AllocField::total_cost) - adjustments(a);
  ++m_hourly_rows;
  const double offset = a.window_start - static_cast<double>(m_day * k_day_seconds);
  if (offset >= 0 && offset < k_day_seconds) {
    const auto hour = static_cast<std::size_t>(offset / 3600);
    if (sums.hours.test(hour) && m_repeat.empty()) m_repeat = std::string(a.name);
    sums.hours.set(hour);
    m_hourly_hours.set(hour);
  }
  return AddResult::ok;
}

std::string DayReconciliation::incomplete_reason() const {
  if (!m_repeat.empty())
    return "the On-Demand API answered \"" + m_repeat + "\" twice for one hour";
  if (!std::isfinite(m_etl_raw_total) || !std::isfinite(m_hourly_raw_total))
    return "a cost in the answers is not finite (their raw totals: ETL " +
           std::to_string(m_etl_raw_total) + ", On-Demand " + std::to_string(m_hourly_raw_total) +
           ")";
  for (const auto& [name, sums] : m_names)
    for (std::size_t p = 0; p < k_parts; ++p)
      if (!std::isfinite(sums.target[p]) || !std::isfinite(sums.raw[p]) ||
          !std::isfinite(sums.weight[p]))
        return "a cost of \"" + name + "\" is not finite";
  const std::bitset<24> missing = m_etl_hours & ~m_hourly_hours;
  if (missing.any())
    return "the On-Demand API answered no allocation for hour(s) " + hour_ranges(missing) +
           " UTC, which the ETL day has data for (outside Prometheus' retention?)";
  if (m_etl_raw_total > 0 && m_hourly_raw_total < m_etl_raw_total * (1 - k_hourly_shortfall)) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "the On-Demand API's raw total %.6f is short of the ETL day's %.6f by more "
                  "than %g%%",
                  m_hourly_raw_total, m_etl_raw_total, k_hourly_shortfall * 100);
    return text;
  }
  double etl_only = 0, hourly_only = 0;
  for (const auto& [name, sums] : m_names) {
    if (sums.in_etl && sums.hourly_rows == 0) etl_only += std::fabs(sums.etl_raw);
    if (!sums.in_etl)
      for (double raw : sums.raw) hourly_only += raw;
  }
  if (etl_only > k_one_side_share * std::fabs(m_etl_raw_total) ||
      std::fabs(hourly_only) > k_one_side_share * std::fabs(m_hourly_raw_total)) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "the two answers describe different allocations: %.6f of the ETL day's raw cost "
                  "and %.6f of the On-Demand API's is on names the other lacks",
                  etl_only, hourly_only);
    return text;
  }
  return {};
}

bool DayReconciliation::in_etl(std::string_view name) const {
  auto it = m_names.find(name);
  return it != m_names.end() && it->second.in_etl;
}

bool DayReconciliation::in_hourly(std::string_view name) const {
  auto it = m_names.find(name);
  return it != m_names.end() && it->second.hourly_rows > 0;
}

std::size_t DayReconciliation::hourly_only_names() const {
  std::size_t n = 0;
  for (const auto& [name, sums] : m_names)
    if (!sums.in_etl && sums.hourly_rows > 0) ++n;
  return n;
}

std::array<double, k_alloc_field_count> DayReconciliation::adjusted(
    const ParsedAllocation& a) const {
  std::array<double, k_alloc_field_count> values = a.values;
  auto it = m_names.find(a.name);
  if (it == m_names.end() || it->second.hourly_rows == 0) return values;
  const Sums& sums = it->second;
  const auto share = [&](std::size_t p, double raw) {
    const double gap = sums.target[p] - sums.raw[p];
    if (sums.weight[p] > 0) return gap * (std::fabs(raw) / sums.weight[p]);
    return gap / sums.hourly_rows;
  };
  double total = 0, six = 0;
  for (std::size_t p = 0; p < k_resources.size(); ++p) {
    const double raw = value_or_zero(a, k_resources[p].first);
    const double adjustment = share(p, raw);
    values[static_cast<std::size_t>(k_resources[p].second)] = adjustment;
    total += raw + adjustment;
    six += raw + value_or_zero(a, k_resources[p].second);
  }
  const double rest = value_or_zero(a, AllocField::total_cost) - six;
  total += rest + share(k_parts - 1, rest);
  values[static_cast<std::size_t>(AllocField::total_cost)] = total;
  return values;
}

}  // namespace kci

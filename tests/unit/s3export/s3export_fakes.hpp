#pragma once
// In-memory peers for s3-export tests: a Kubecost that answers from maps, a bucket that keeps
// objects and in-flight multipart uploads and records every call, a reporter
// that keeps the reports, a log capture and a temporary work directory.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdint>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exporter/s3export/kubecost_api.hpp"
#include "exporter/s3export/object_store.hpp"
#include "exporter/s3export/run_report.hpp"

namespace kci::test {

// One allocation as a fake Kubecost holds it (the strings ParsedAllocation views into).
struct FakeAllocation {
  std::string name = "alloc";
  std::string cluster = "cluster-one", node = "node-a", namespace_name = "web", pod = "web-0",
              container = "app";
  double total_cost = 1.0;
  // NaN: the fake gives the i-th allocation of day d the hour set [d + i % 24 h, +1 h).
  double window_start = NAN, window_end = NAN;
  std::size_t set_index = SIZE_MAX;              // SIZE_MAX: the hour (i % 24)
  std::vector<std::string> labels, annotations;  // one per configured key
  std::map<AllocField, double> values;           // further fields (costs, adjustments)
  double data_start = NAN, data_end = NAN;       // the allocation's own start/end
};

class FakeKubecost : public KubecostApi {
 public:
  std::set<std::int64_t> days;  // days_with_data answers these
  std::string cluster;  // and this cluster id (rows of another fail the day; "" = unchecked)
  std::map<std::int64_t, std::vector<FakeAllocation>> day;      // hourly_sets(day) hands these
  std::map<std::int64_t, std::vector<FakeAllocation>> etl_day;  // day_set(day), when set
  std::set<std::int64_t> hourly_missing;  // days the On-Demand API answers without allocations
  NodeFactsMap nodes;
  std::optional<Failure> days_failure;
  std::map<std::int64_t, Failure> allocation_failures, asset_failures;
  std::vector<std::pair<std::int64_t, std::int64_t>> days_asked;
  std::vector<std::int64_t> allocations_asked;  // hourly_sets calls
  std::vector<std::int64_t> etl_asked;          // day_set calls

  Expected<KubecostDays> days_with_data(std::int64_t first, std::int64_t last) override {
    days_asked.emplace_back(first, last);
    if (days_failure) return *days_failure;
    KubecostDays in;
    in.cluster = cluster;
    for (auto d : days)
      if (d >= first && d <= last) in.days.insert(d);
    return in;
  }
  Expected<NodeFactsMap> node_facts(std::int64_t d) override {
    if (auto it = asset_failures.find(d); it != asset_failures.end()) return it->second;
    return nodes;
  }
  // The On-Demand hours: `day[d]`, the i-th allocation in hour i % 24 unless its window says.
  Expected<void> hourly_sets(std::int64_t d, const AllocationVisitor& visit) override {
    allocations_asked.push_back(d);
    if (auto it = allocation_failures.find(d); it != allocation_failures.end()) return it->second;
    if (hourly_missing.count(d)) return {};
    std::size_t i = 0;
    for (const FakeAllocation& f : day[d]) visit_one(d, f, i++, visit);
    return {};
  }
  // The ETL day: `etl_day[d]` when set, else `day[d]` summed per name under the day window
  // (so that an hourly day is whole and reconciles to itself).
  Expected<void> day_set(std::int64_t d, const AllocationVisitor& visit) override {
    etl_asked.push_back(d);
    if (auto it = allocation_failures.find(d); it != allocation_failures.end()) return it->second;
    if (auto it = etl_day.find(d); it != etl_day.end()) {
      std::size_t i = 0;
      for (const FakeAllocation& f : it->second) visit_one(d, f, i++, visit);
      return {};
    }
    std::vector<FakeAllocation> summed;
    std::size_t i = 0;
    for (const FakeAllocation& f : day[d]) {
      // The hour it has in hourly_sets: the ETL row's own start/end cover it.
      const double hour_start = static_cast<double>(d * 86400) + 3600.0 * (i++ % 24);
      const double from = std::isnan(f.window_start) ? hour_start : f.window_start;
      const double to = std::isnan(f.window_end) ? hour_start + 3600 : f.window_end;
      auto same = std::find_if(summed.begin(), summed.end(),
                               [&](const FakeAllocation& s) { return s.name == f.name; });
      if (same != summed.end()) {
        same->total_cost += f.total_cost;
        same->data_start = std::min(same->data_start, from);
        same->data_end = std::max(same->data_end, to);
        continue;
      }
      FakeAllocation whole = f;
      whole.data_start = from;
      whole.data_end = to;
      whole.window_start = static_cast<double>(d * 86400);
      whole.window_end = whole.window_start + 86400;
      whole.set_index = 0;
      summed.push_back(whole);
    }
    i = 0;
    for (const FakeAllocation& f : summed) visit_one(d, f, i++, visit);
    return {};
  }

 private:
  static void visit_one(std::int64_t d, const FakeAllocation& f, std::size_t i,
                        const AllocationVisitor& visit) {
    const std::size_t hour = i % 24;
    ParsedAllocation a;
    a.values.fill(NAN);
    a.name = f.name;
    a.cluster = f.cluster;
    a.node = f.node;
    a.namespace_name = f.namespace_name;
    a.pod = f.pod;
    a.container = f.container;
    const double hour_start =
        static_cast<double>(d * 86400 + static_cast<std::int64_t>(hour) * 3600);
    a.window_start = std::isnan(f.window_start) ? hour_start : f.window_start;
    a.window_end = std::isnan(f.window_end) ? hour_start + 3600 : f.window_end;
    a.set_index = f.set_index == SIZE_MAX ? hour : f.set_index;
    a.values[static_cast<std::size_t>(AllocField::total_cost)] = f.total_cost;
    for (const auto& [field, value] : f.values) a.values[static_cast<std::size_t>(field)] = value;
    a.data_start = f.data_start;
    a.data_end = f.data_end;
    std::vector<std::string_view> labels(f.labels.begin(), f.labels.end());
    std::vector<std::string_view> annotations(f.annotations.begin(), f.annotations.end());
    a.label_values = &labels;
    a.annotation_values = &annotations;
    visit(a);
  }
};

// A bucket in memory. Every call is recorded as one line in `calls`.
class MemoryStore : public ObjectStore {
 public:
  std::map<std::string, std::string> objects;
  std::map<std::string, std::map<int, std::string>> uploads;  // upload id -> parts (in flight)
  std::vector<std::string> calls;
  std::optional<Failure> list_failure, put_failure, create_failure, complete_failure, abort_failure;
  int fail_part = 0;  // the part number whose upload fails (0: none)
  // Called as a part arrives, before it is stored; what it returns (when anything) is the
  // answer, as when a SIGTERM cuts the request in flight.
  std::function<std::optional<Failure>(int part_number)> on_part;
  std::function<void(const std::string& key)> on_put;  // called as a PUT arrives

  Expected<std::vector<std::string>> list_keys(const std::string& prefix) override {
    calls.push_back("list " + prefix);
    if (list_failure) return *list_failure;
    std::vector<std::string> keys;
    for (const auto& [k, v] : objects)
      if (k.starts_with(prefix)) keys.push_back(k);
    return keys;
  }
  Expected<void> put_object(const std::string& key, const std::string& body) override {
    calls.push_back("put " + key);
    if (on_put) on_put(key);
    if (put_failure) return *put_failure;
    objects[key] = body;
    return {};
  }
  Expected<std::string> create_multipart_upload(const std::string& key) override {
    calls.push_back("create " + key);
    if (create_failure) return *create_failure;
    const std::string id = "upload-" + std::to_string(++m_next_id);
    uploads[id];
    return id;
  }
  Expected<std::string> upload_part(const std::string& key, const std::string& upload_id,
                                    int part_number, const std::string& body) override {
    calls.push_back("part " + key + " " + upload_id + " " + std::to_string(part_number) + " " +
                    std::to_string(body.size()));
    if (on_part)
      if (auto f = on_part(part_number)) return *f;
    if (part_number == fail_part) return Failure{FailureReason::aws, "s3:UploadPart: SlowDown"};
    uploads.at(upload_id)[part_number] = body;
    return "etag-" + std::to_string(part_number);
  }
  Expected<void> complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                           const std::vector<std::string>& etags) override {
    std::string list;
    for (const auto& e : etags) list += (list.empty() ? "" : ",") + e;
    calls.push_back("complete " + key + " " + upload_id + " " + list);
    if (complete_failure) return *complete_failure;
    std::string body;
    for (std::size_t i = 0; i < etags.size(); ++i) {
      if (etags[i] != "etag-" + std::to_string(i + 1))
        return Failure{FailureReason::aws, "InvalidPart"};
      body += uploads.at(upload_id).at(static_cast<int>(i + 1));
    }
    uploads.erase(upload_id);
    objects[key] = body;
    return {};
  }
  Expected<void> abort_multipart_upload(const std::string& key,
                                        const std::string& upload_id) override {
    calls.push_back("abort " + key + " " + upload_id);
    if (abort_failure) return *abort_failure;
    uploads.erase(upload_id);
    return {};
  }
  std::string uri(const std::string& key) const override { return "s3://mem-bucket/" + key; }

  // The recorded calls whose first word is `verb`.
  std::vector<std::string> calls_of(const std::string& verb) const {
    std::vector<std::string> out;
    for (const auto& c : calls)
      if (c.starts_with(verb + " ")) out.push_back(c);
    return out;
  }

 private:
  int m_next_id = 0;
};

class RecordingReporter : public RunReporter {
 public:
  std::vector<RunReport> reports;
  void report(const RunReport& r) override { reports.push_back(r); }
};

// Routes kci::log lines (logfmt) into a string while alive.
class LogCapture {
 public:
  LogCapture() : m_previous(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(m_out);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(m_previous); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return m_out.str(); }
  // The captured lines holding every one of `parts`.
  std::vector<std::string> lines_with(std::initializer_list<std::string> parts) const {
    std::vector<std::string> out;
    std::istringstream in(m_out.str());
    std::string line;
    while (std::getline(in, line)) {
      bool all = true;
      for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
      if (all) out.push_back(line);
    }
    return out;
  }

 private:
  std::ostringstream m_out;
  std::shared_ptr<spdlog::logger> m_previous;
};

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kci-s3export-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  // The names of the files in the directory.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(m_path))
      out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::string m_path;
};

}  // namespace kci::test

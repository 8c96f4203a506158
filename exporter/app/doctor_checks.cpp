#include "exporter/app/doctor_checks.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/util/durations.hpp"
#include "exporter/util/text_util.hpp"

namespace kci {
namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A PromQL string literal: the value in double quotes, with \ and " escaped (PromQL follows Go's
// string literal rules).
std::string promql_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string label_or(const PromSample& s, const std::string& key, const std::string& fallback) {
  auto it = s.labels.find(key);
  return it == s.labels.end() || it->second.empty() ? fallback : it->second;
}

}  // namespace

std::string format_verdict(const Verdict& v) {
  const char* tag = v.status == VerdictStatus::ok     ? "ok  "
                    : v.status == VerdictStatus::warn ? "WARN"
                    : v.status == VerdictStatus::fail ? "FAIL"
                                                      : "skip";
  return std::string(tag) + " " + v.check + ": " + one_line(v.detail, 400);
}

std::string format_age(double seconds) {
  if (seconds < 0) seconds = 0;
  auto s = static_cast<long long>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400)
    return std::to_string(s / 3600) + "h" +
           (s % 3600 >= 60 ? std::to_string(s % 3600 / 60) + "m" : "");
  return std::to_string(s / 86400) + "d" +
         (s % 86400 >= 3600 ? std::to_string(s % 86400 / 3600) + "h" : "");
}

Expected<AllocationSummary> summarize_allocations(std::string_view body) {
  AllocationSummary out;
  ParseOptions options;
  options.all_properties = true;
  auto parsed = parse_allocations(body, options, [&](const ParsedAllocation& a) {
    if (a.name.find("__idle__") != std::string_view::npos) {
      out.idle = true;
    } else if (!a.namespace_name.empty()) {
      out.namespaces.emplace(a.namespace_name);
    }
    if (!a.cluster.empty()) out.clusters.emplace(a.cluster);
    if (!std::isnan(a.window_start) && (!out.window_start || a.window_start < *out.window_start))
      out.window_start = a.window_start;
    if (!std::isnan(a.window_end) && (!out.window_end || a.window_end > *out.window_end))
      out.window_end = a.window_end;
    if (!std::isnan(a.data_end) && (!out.newest_end || a.data_end > *out.newest_end))
      out.newest_end = a.data_end;
  });
  if (!parsed.ok()) return parsed.failure();
  out.sets = parsed.value().sets;
  out.allocations = parsed.value().allocations;
  return out;
}

Verdict kubecost_verdict(const Config& config, std::string_view flavour,
                         const Expected<AllocationSummary>& summary, double now_unix) {
  const std::string where = redact_url(config.kubecost.url);
  if (!summary.ok()) {
    const Failure& f = summary.failure();
    std::string hint;
    if (f.http_status == 401 || f.http_status == 403)
      hint = " (behind an ingress? see kubecostHeadersFile, kubecostBasicAuthUsername)";
    if (f.reason == FailureReason::empty)
      hint = " (no data for window=" + config.window.text +
             " yet; a 1h window is empty at the "
             "start of each hour)";
    return {VerdictStatus::fail, "kubecost",
            where + ": reason=" + std::string(to_string(f.reason)) + ": " + f.message + hint};
  }
  const AllocationSummary& s = summary.value();
  std::string detail = std::string(flavour) + " flavour, " +
                       plural(s.namespaces.size(), "namespace", "namespaces") + ", idle " +
                       (s.idle                        ? "present"
                        : config.share_idle != "none" ? "absent (shared into namespaces: "
                                                        "shareIdle=" +
                                                            config.share_idle + ")"
                                                      : "absent") +
                       ", " + plural(s.clusters.size(), "cluster", "clusters");
  if (!s.clusters.empty()) {
    std::string names;
    std::size_t shown = 0;
    for (const auto& c : s.clusters) {
      if (shown++ == 5) {
        names += ",...";
        break;
      }
      names += (names.empty() ? "" : ",") + c;
    }
    detail += " (" + names + ")";
  }
  if (s.window_start && s.window_end)
    detail += ", window " + format_utc(static_cast<std::int64_t>(*s.window_start)) + ".." +
              format_utc(static_cast<std::int64_t>(*s.window_end));
  VerdictStatus status = VerdictStatus::ok;
  if (s.newest_end) {
    const double age = now_unix - *s.newest_end;
    detail += ", data " + format_age(age) + " old";
    if (age > 2 * 3600.0) {
      status = VerdictStatus::warn;
      detail += " (Kubecost's ETL is behind?)";
    }
  } else {
    detail += ", data age unknown (no allocation end)";
  }
  // With shareIdle weighted (the default) Kubecost shares idle into the namespaces and sends
  // no __idle__; only with shareIdle none is a missing __idle__ a surprise (OpenCost reads
  // includeIdle only: pkg/costmodel/aggregation.go).
  if (config.include_idle && config.share_idle == "none" && !s.idle) {
    status = VerdictStatus::warn;
    detail += "; includeIdle is on and shareIdle none, but no __idle__ came back";
  }
  return {status, "kubecost", detail};
}

Verdict tenant_verdict(const Config& config) {
  if (config.tenant_id.empty())
    return {VerdictStatus::fail, "tenant id",
            "not set (set TENANT_ID, tenantId in the config file or --tenant-id; the SaaS "
            "cannot attribute series without it)"};
  return {VerdictStatus::ok, "tenant id", "\"" + config.tenant_id + "\""};
}

Expected<std::vector<PromSample>> parse_prometheus_vector(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  const Failure not_api{FailureReason::parse, "not a Prometheus API answer: " + one_line(body, 80)};
  if (parser.parse(padded).get(root)) return not_api;
  std::string_view status;
  if (root["status"].get(status)) return not_api;
  if (status != "success") {
    std::string_view error;
    if (root["error"].get(error)) error = "(no error text)";
    return Failure{FailureReason::http_status, "Prometheus: " + one_line(error, 200)};
  }
  simdjson::dom::array result;
  if (root["data"]["result"].get(result)) return not_api;
  std::vector<PromSample> out;
  for (auto item : result) {
    PromSample sample;
    simdjson::dom::object metric;
    if (!item["metric"].get(metric))
      for (auto field : metric) {
        std::string_view v;
        if (!field.value.get(v)) sample.labels.emplace(std::string(field.key), std::string(v));
      }
    std::string_view text;
    if (item["value"].at(1).get(text)) return not_api;
    sample.value = std::strtod(std::string(text).c_str(), nullptr);
    out.push_back(std::move(sample));
  }
  return out;
}

Verdict prometheus_target_verdict(const PromQuery& query, const std::string& job) {
  const std::string check = "prometheus target";
  const std::string promql = job.empty() ? "up and on(job, instance) "
                                           "max_over_time(cloudtuner_kubecost_exporter_info[1h])"
                                         : "up{job=" + promql_string(job) + "}";
  auto r = query(promql);
  if (!r.ok()) return {VerdictStatus::fail, check, "query failed: " + r.failure().message};
  const auto& samples = r.value();
  if (samples.empty())
    return {VerdictStatus::fail, check,
            job.empty() ? "no target served cloudtuner_kubecost_exporter_info in the last hour: "
                          "Prometheus is not scraping the exporter (check the scrape config or "
                          "ServiceMonitor: a kubecost.prometheus.extraScrapeConfigs of your own "
                          "replaces the chart's list and must keep its exporter job; "
                          "--prometheus.job names the job to look for)"
                        : "no target with job=" + promql_string(job) +
                              ": Prometheus is not scraping the exporter under that job"};
  std::vector<std::string> down, up;
  for (const auto& s : samples) {
    std::string who = "job=" + promql_string(label_or(s, "job", "")) +
                      " instance=" + promql_string(label_or(s, "instance", ""));
    (s.value >= 1 ? up : down).push_back(who);
  }
  if (!down.empty()) {
    std::string list;
    for (const auto& d : down) list += (list.empty() ? "" : "; ") + d;
    return {VerdictStatus::fail, check,
            std::to_string(down.size()) + " of " + std::to_string(samples.size()) +
                " down (up == 0): " + list +
                " (TLS, basic auth or the NetworkPolicy? see the target's lastError in "
                "Prometheus' /targets)"};
  }
  return {VerdictStatus::ok, check,
          plural(up.size(), "target", "targets") + " up: " + up.front() +
              (up.size() > 1 ? ", ..." : "")};
}

Verdict prometheus_series_verdict(const PromQuery& query, const std::string& tenant_id) {
  const std::string check = "prometheus series";
  auto all = query("count({__name__=~\"cloudtuner_kubecost_.+\"})");
  if (!all.ok()) return {VerdictStatus::fail, check, "query failed: " + all.failure().message};
  const double n = all.value().empty() ? 0 : all.value().front().value;
  if (n <= 0) return {VerdictStatus::fail, check, "no cloudtuner_kubecost_* series in Prometheus"};
  std::string detail = fixed(n, 0) + " cloudtuner_kubecost_* series";
  if (tenant_id.empty()) return {VerdictStatus::ok, check, detail};
  auto ours = query(
      "count({__name__=~\"cloudtuner_kubecost_.+\", tenant_id=" + promql_string(tenant_id) + "})");
  if (!ours.ok()) return {VerdictStatus::fail, check, "query failed: " + ours.failure().message};
  const double m = ours.value().empty() ? 0 : ours.value().front().value;
  if (m <= 0)
    return {VerdictStatus::fail, check,
            detail + ", none with tenant_id=" + promql_string(tenant_id) +
                " (another exporter's, or an old tenant id?)"};
  return {VerdictStatus::ok, check,
          detail + ", " + fixed(m, 0) + " with tenant_id=" + promql_string(tenant_id)};
}

Verdict remote_write_verdict(const PromQuery& query, const std::string& remote_name) {
  const std::string check = "prometheus remote_write";
  const std::string filter =
      remote_name.empty() ? "" : "{remote_name=" + promql_string(remote_name) + "}";
  auto failed = query("sum by (remote_name) (rate(prometheus_remote_storage_samples_failed_total" +
                      filter + "[5m]))");
  if (!failed.ok())
    return {VerdictStatus::fail, check, "query failed: " + failed.failure().message};
  auto pending =
      query("sum by (remote_name) (prometheus_remote_storage_samples_pending" + filter + ")");
  if (!pending.ok())
    return {VerdictStatus::fail, check, "query failed: " + pending.failure().message};
  std::map<std::string, double> pending_of;
  for (const auto& s : pending.value())
    pending_of[label_or(s, "remote_name", "(unnamed)")] = s.value;
  std::map<std::string, double> failed_of;
  for (const auto& s : failed.value()) failed_of[label_or(s, "remote_name", "(unnamed)")] = s.value;
  for (const auto& [name, v] : pending_of) failed_of.try_emplace(name, 0.0);
  if (failed_of.empty())
    return {remote_name.empty() ? VerdictStatus::warn : VerdictStatus::fail, check,
            remote_name.empty()
                ? "this Prometheus has no remote_write queue (the SaaS gets nothing from it)"
                : "no remote_write queue named " + promql_string(remote_name)};
  std::string failing, healthy;
  for (const auto& [name, rate] : failed_of) {
    const std::string p = fixed(pending_of.count(name) ? pending_of[name] : 0, 0);
    if (rate > 0)
      failing += (failing.empty() ? "" : "; ") + std::string("queue ") + name + ": " +
                 fixed(rate, 2) + " samples/s failing, " + p + " pending";
    else
      healthy += (healthy.empty() ? "" : "; ") + std::string("queue ") + name + ": 0 failing, " +
                 p + " pending";
  }
  if (!failing.empty())
    return {VerdictStatus::fail, check,
            failing + (healthy.empty() ? "" : "; " + healthy) +
                " (the receiver refuses them: password, Cloud-Account-Id, URL? see Prometheus' "
                "log)"};
  return {VerdictStatus::ok, check, healthy};
}

}  // namespace kci

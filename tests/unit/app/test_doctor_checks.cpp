// doctor's checks over answers fed in: an Allocation API body, Prometheus vectors.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "exporter/app/doctor_checks.hpp"
#include "exporter/app/doctor_remote_write.hpp"
#include "exporter/util/durations.hpp"

using namespace kci;

namespace {

// Two clusters, a same-named namespace in both, idle, one allocation whose end lags the window.
const char* k_body = R"({"code":200,"status":"success","data":[{
  "payments":{"name":"payments","properties":{"cluster":"c1","namespace":"payments"},
    "window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},
    "start":"2024-01-01T00:00:00Z","end":"2024-01-01T23:40:00Z","totalCost":1.5},
  "search":{"name":"search","properties":{"cluster":"c2","namespace":"search"},
    "window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},
    "start":"2024-01-01T00:00:00Z","end":"2024-01-01T23:50:00Z","totalCost":2},
  "c2/payments":{"name":"c2/payments","properties":{"cluster":"c2","namespace":"payments"},
    "window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},
    "start":"2024-01-01T00:00:00Z","end":"2024-01-01T23:30:00Z","totalCost":1},
  "__idle__":{"name":"__idle__","properties":{"cluster":"c1"},
    "window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},
    "start":"2024-01-01T00:00:00Z","end":"2024-01-01T23:45:00Z","totalCost":0.5}}]})";

PromQuery fake(std::map<std::string, Expected<std::vector<PromSample>>> answers,
               std::vector<std::string>* asked = nullptr) {
  return [answers = std::move(answers), asked](const std::string& q) {
    if (asked) asked->push_back(q);
    auto it = answers.find(q);
    if (it == answers.end()) return Expected<std::vector<PromSample>>(std::vector<PromSample>{});
    return it->second;
  };
}

PromSample sample(std::map<std::string, std::string> labels, double v) {
  return PromSample{std::move(labels), v};
}

}  // namespace

TEST_CASE("doctor: an allocation answer summarised: namespaces, idle, clusters, window, end") {
  auto s = summarize_allocations(k_body);
  REQUIRE(s.ok());
  CHECK(s.value().namespaces == std::set<std::string>{"payments", "search"});
  CHECK(s.value().clusters == std::set<std::string>{"c1", "c2"});
  CHECK(s.value().idle);
  CHECK(s.value().allocations == 4);
  CHECK(*s.value().window_start == *parse_rfc3339("2024-01-01T00:00:00Z"));
  CHECK(*s.value().window_end == *parse_rfc3339("2024-01-02T00:00:00Z"));
  CHECK(*s.value().newest_end == *parse_rfc3339("2024-01-01T23:50:00Z"));

  Config config;
  const double now = *parse_rfc3339("2024-01-02T00:03:00Z");
  CHECK(format_verdict(kubecost_verdict(config, "kubecost", s, now)) ==
        "ok   kubecost: kubecost flavour, 2 namespaces, idle present, 2 clusters (c1,c2), window "
        "2024-01-01T00:00:00Z..2024-01-02T00:00:00Z, data 13m old");
  // Data three hours old: a warning, not a failure.
  auto old = kubecost_verdict(config, "opencost", s, now + 3 * 3600);
  CHECK(old.status == VerdictStatus::warn);
  CHECK(old.detail.find("data 3h13m old (Kubecost's ETL is behind?)") != std::string::npos);
}

TEST_CASE("doctor: a failed or empty Kubecost answer is a FAIL line with its reason") {
  Config config;
  config.kubecost.url = "http://127.0.0.1:1";
  auto v = kubecost_verdict(config, "kubecost",
                            Failure{FailureReason::connect, "Could not establish connection"}, 0);
  CHECK(format_verdict(v) ==
        "FAIL kubecost: http://127.0.0.1:1: reason=connect: Could not establish connection");
  v = kubecost_verdict(config, "kubecost", Failure{FailureReason::http_status, "HTTP 401: x", 401},
                       0);
  CHECK(v.status == VerdictStatus::fail);
  CHECK(v.detail.find("kubecostHeadersFile") != std::string::npos);
  auto empty = summarize_allocations(R"({"code":200,"data":[null]})");
  REQUIRE_FALSE(empty.ok());
  v = kubecost_verdict(config, "kubecost", empty, 0);
  CHECK(v.status == VerdictStatus::fail);
  CHECK(v.detail.find("reason=empty") != std::string::npos);
  // No __idle__ with the default shareIdle weighted: shared into the namespaces, as it should
  // be on every healthy install (no warning); with shareIdle none it is a surprise (a warning).
  auto no_idle = summarize_allocations(
      R"({"code":200,"data":[{"a":{"name":"a","properties":{"namespace":"a"},"totalCost":1}}]})");
  REQUIRE(no_idle.ok());
  REQUIRE(config.share_idle == "weighted");
  v = kubecost_verdict(config, "kubecost", no_idle, 0);
  CHECK(v.status == VerdictStatus::ok);
  CHECK(v.detail.find("idle absent (shared into namespaces: shareIdle=weighted)") !=
        std::string::npos);
  CHECK(v.detail.find("data age unknown") != std::string::npos);
  config.share_idle = "none";
  v = kubecost_verdict(config, "kubecost", no_idle, 0);
  CHECK(v.status == VerdictStatus::warn);
  CHECK(v.detail.find("includeIdle is on and shareIdle none, but no __idle__ came back") !=
        std::string::npos);
}

TEST_CASE("doctor: tenant id set or not") {
  Config config;
  CHECK(
      format_verdict(tenant_verdict(config)).starts_with("FAIL tenant id: not set (set TENANT_ID"));
  config.tenant_id = "acme";
  CHECK(format_verdict(tenant_verdict(config)) == "ok   tenant id: \"acme\"");
}

TEST_CASE("doctor: Prometheus API answers parsed; errors carry their text") {
  auto r = parse_prometheus_vector(
      R"({"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"job":"kc","instance":"10.0.0.1:9103"},"value":[1700000000.1,"1"]},
        {"metric":{},"value":[1700000000.1,"12.5"]}]}})");
  REQUIRE(r.ok());
  REQUIRE(r.value().size() == 2);
  CHECK(r.value()[0].labels.at("job") == "kc");
  CHECK(r.value()[0].value == 1);
  CHECK(r.value()[1].value == 12.5);
  auto e = parse_prometheus_vector(
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 3"})");
  REQUIRE_FALSE(e.ok());
  CHECK(e.failure().message == "Prometheus: parse error at char 3");
  CHECK_FALSE(parse_prometheus_vector("<html>").ok());
  CHECK_FALSE(parse_prometheus_vector(R"({"status":"success","data":{}})").ok());
}

TEST_CASE("doctor: the target check by job and by the exporter's info series") {
  std::vector<std::string> asked;
  auto v = prometheus_target_verdict(
      fake({{"up{job=\"kc\"}",
             std::vector<PromSample>{sample({{"job", "kc"}, {"instance", "a:9103"}}, 1)}}},
           &asked),
      "kc");
  CHECK(format_verdict(v) == "ok   prometheus target: 1 target up: job=\"kc\" instance=\"a:9103\"");
  CHECK(asked.back() == "up{job=\"kc\"}");
  v = prometheus_target_verdict(fake({}), "nope");
  CHECK(format_verdict(v) ==
        "FAIL prometheus target: no target with job=\"nope\": Prometheus is "
        "not scraping the exporter under that job");
  const std::string by_info =
      "up and on(job, instance) max_over_time(cloudtuner_kubecost_exporter_info[1h])";
  v = prometheus_target_verdict(
      fake(
          {{by_info, std::vector<PromSample>{sample({{"job", "kc"}, {"instance", "a:9103"}}, 0)}}}),
      "");
  CHECK(v.status == VerdictStatus::fail);
  CHECK(v.detail.starts_with("1 of 1 down (up == 0): job=\"kc\" instance=\"a:9103\""));
  v = prometheus_target_verdict(fake({}), "");
  CHECK(v.status == VerdictStatus::fail);
  CHECK(v.detail.find("not scraping the exporter") != std::string::npos);
  // A job name with a quote cannot break out of the PromQL string.
  prometheus_target_verdict(fake({}, &asked), "a\"b");
  CHECK(asked.back() == "up{job=\"a\\\"b\"}");
  v = prometheus_target_verdict(
      [](const std::string&) -> Expected<std::vector<PromSample>> {
        return Failure{FailureReason::connect, "Could not establish connection"};
      },
      "kc");
  CHECK(format_verdict(v) ==
        "FAIL prometheus target: query failed: Could not establish connection");
}

TEST_CASE("doctor: series ingested, with our tenant") {
  const std::string all = "count({__name__=~\"cloudtuner_kubecost_.+\"})";
  const std::string ours = "count({__name__=~\"cloudtuner_kubecost_.+\", tenant_id=\"acme\"})";
  auto v = prometheus_series_verdict(fake({{all, std::vector<PromSample>{sample({}, 40)}},
                                           {ours, std::vector<PromSample>{sample({}, 31)}}}),
                                     "acme");
  CHECK(format_verdict(v) ==
        "ok   prometheus series: 40 cloudtuner_kubecost_* series, 31 with tenant_id=\"acme\"");
  v = prometheus_series_verdict(fake({{all, std::vector<PromSample>{sample({}, 40)}}}), "acme");
  CHECK(v.status == VerdictStatus::fail);
  CHECK(v.detail.find("none with tenant_id=\"acme\"") != std::string::npos);
  v = prometheus_series_verdict(fake({}), "");
  CHECK(format_verdict(v) ==
        "FAIL prometheus series: no cloudtuner_kubecost_* series in Prometheus");
}

TEST_CASE("doctor: remote_write failing, healthy, absent") {
  const std::string failed =
      "sum by (remote_name) (rate(prometheus_remote_storage_samples_failed_total[5m]))";
  const std::string pending = "sum by (remote_name) (prometheus_remote_storage_samples_pending)";
  auto v = remote_write_verdict(
      fake({{failed, std::vector<PromSample>{sample({{"remote_name", "cloudtuner"}}, 0),
                                             sample({{"remote_name", "wrongpass"}}, 3.25)}},
            {pending, std::vector<PromSample>{sample({{"remote_name", "cloudtuner"}}, 7)}}}),
      "");
  CHECK(v.status == VerdictStatus::fail);
  CHECK(
      v.detail.starts_with("queue wrongpass: 3.25 samples/s failing, 0 pending; queue "
                           "cloudtuner: 0 failing, 7 pending"));
  const std::string failed_one =
      "sum by (remote_name) (rate(prometheus_remote_storage_samples_failed_total{remote_name="
      "\"cloudtuner\"}[5m]))";
  v = remote_write_verdict(
      fake({{failed_one, std::vector<PromSample>{sample({{"remote_name", "cloudtuner"}}, 0)}}}),
      "cloudtuner");
  CHECK(format_verdict(v) ==
        "ok   prometheus remote_write: queue cloudtuner: 0 failing, 0 pending");
  v = remote_write_verdict(fake({}), "");
  CHECK(v.status == VerdictStatus::warn);
  v = remote_write_verdict(fake({}), "cloudtuner");
  CHECK(format_verdict(v) ==
        "FAIL prometheus remote_write: no remote_write queue named \"cloudtuner\"");
}

TEST_CASE("doctor: ages") {
  CHECK(format_age(-5) == "0s");
  CHECK(format_age(59) == "59s");
  CHECK(format_age(180) == "3m");
  CHECK(format_age(3600) == "1h");
  CHECK(format_age(3 * 3600 + 13 * 60) == "3h13m");
  CHECK(format_age(2 * 86400 + 3600) == "2d1h");
}

namespace {

// An /api/v1/status/config answer around `yaml` (Prometheus' HTTP API, "Config").
std::string status_config(const std::string& yaml) {
  std::string escaped;
  for (char c : yaml) {
    if (c == '\n')
      escaped += "\\n";
    else if (c == '"')
      escaped += "\\\"";
    else
      escaped += c;
  }
  return R"({"status":"success","data":{"yaml":")" + escaped + "\"}}";
}

}  // namespace

TEST_CASE("doctor remote_write tenant: the guide's Cloud-Account-Id check, per queue") {
  const std::string keep_ours =
      "global:\n  scrape_interval: 1m\nremote_write:\n- url: https://saas.example/api/v1/push\n"
      "  headers:\n    Cloud-Account-Id: acme\n  write_relabel_configs:\n  - source_labels: "
      "[__name__]\n    regex: (cloudtuner_kubecost_.*|kube_.*)\n    action: keep\n";
  auto ok = remote_write_tenant_verdict(status_config(keep_ours), "acme");
  CHECK(ok.status == VerdictStatus::ok);
  CHECK(ok.detail == "https://saas.example/api/v1/push sends Cloud-Account-Id \"acme\"");

  auto other = remote_write_tenant_verdict(status_config(keep_ours), "other");
  CHECK(other.status == VerdictStatus::fail);
  CHECK(other.detail ==
        "https://saas.example/api/v1/push sends Cloud-Account-Id \"acme\", but TENANT_ID is "
        "\"other\"");
  CHECK(format_verdict(other).starts_with("FAIL remote_write tenant: "));

  // A second queue that drops our series is not asked for the header; one that keeps them is.
  const std::string two =
      "remote_write:\n- name: saas\n  url: https://saas.example/push\n  headers:\n"
      "    cloud-account-id: acme\n- name: thanos-local\n  url: http://thanos/push\n"
      "  write_relabel_configs:\n  - source_labels: [__name__]\n    regex: cloudtuner_.*\n"
      "    action: drop\n";
  auto both = remote_write_tenant_verdict(status_config(two), "acme");
  CHECK(both.status == VerdictStatus::ok);
  CHECK(both.detail == "\"saas\" sends Cloud-Account-Id \"acme\"");
  CHECK(remote_write_tenant_verdict(status_config(two), "acme", "saas").status ==
        VerdictStatus::ok);
  CHECK(remote_write_tenant_verdict(status_config(two), "acme", "thanos-local").detail ==
        "no remote_write named \"thanos-local\" keeps cloudtuner_kubecost_*");
  const std::string no_header = "remote_write:\n- url: https://saas.example/push\n";
  auto missing = remote_write_tenant_verdict(status_config(no_header), "acme");
  CHECK(missing.status == VerdictStatus::fail);
  CHECK(missing.detail == "https://saas.example/push sends no Cloud-Account-Id header");

  const std::string secret =
      "remote_write:\n- url: https://saas.example/push\n  headers:\n    Cloud-Account-Id: "
      "<secret>\n";
  CHECK(remote_write_tenant_verdict(status_config(secret), "acme").status == VerdictStatus::warn);
  auto none = remote_write_tenant_verdict(status_config("global: {}\n"), "acme");
  CHECK(none.status == VerdictStatus::fail);
  CHECK(none.detail.starts_with("Prometheus has no remote_write"));
  const std::string drops_all =
      "remote_write:\n- url: u\n  write_relabel_configs:\n  - source_labels: [__name__]\n"
      "    regex: kube_.*\n    action: keep\n";
  CHECK(remote_write_tenant_verdict(status_config(drops_all), "acme").detail ==
        "no remote_write keeps cloudtuner_kubecost_* (its write_relabel_configs drop them)");
  CHECK(remote_write_tenant_verdict("<html>", "acme").status == VerdictStatus::fail);
}

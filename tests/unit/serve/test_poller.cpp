#include <zlib.h>
#include <catch2/catch.hpp>

#include <deque>

#include "exporter/http/http_client.hpp"
#include "exporter/serve/poller.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::series_of;

namespace {

// The /metrics gzip body as the router serves it: header, cost blocks, tail.
std::string served_gzip(const kci::Published& p) {
  std::string gz(kci::gzip_header());
  if (p.costs) gz += p.costs->deflated().blocks;
  return gz + p.gzip_tail;
}

// zlib, not the compressor under test, reads it back (every member, as HTTP clients do).
std::string gunzip(const std::string& gz) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[16384];
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  CHECK(rc == Z_STREAM_END);
  CHECK(zs.avail_in == 0);  // one member: nothing after its trailer
  inflateEnd(&zs);
  return out;
}

class ScriptedSource : public AllocationSource {
 public:
  std::deque<Expected<HttpResponse>> answers;
  Expected<void> fetch(BodySink& sink) override {
    auto a = std::move(answers.front());
    answers.pop_front();
    if (!a.ok()) return a.failure();
    sink.begin();
    // Byte by byte: the poller must not depend on how the answer is cut.
    for (char c : a.value().body)
      if (!sink.write(std::string_view(&c, 1))) return sink_refused();
    return {};
  }
};

HttpResponse ok_body(const std::string& json) {
  HttpResponse r;
  r.status = 200;
  r.body.reserve(json.size() + k_body_padding);
  r.body = json;
  return r;
}

const char* k_two = R"({"data":[{"a":{"totalCost":2},"b":{"totalCost":3}}]})";
const char* k_one = R"({"data":[{"a":{"totalCost":2}}]})";

}  // namespace

TEST_CASE("poller: serves last good data through failures, drops it when stale, recovers") {
  Config config;
  config.metric_mode = MetricMode::total;
  config.scrape_interval = std::chrono::seconds(60);  // maxStaleness 180 s
  double now = 1000;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics, [&] { return now; });
  CHECK_FALSE(publisher.current()->ready);

  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  auto p = publisher.current();
  CHECK(p->ready);
  auto s = series_of(p->text());
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="b",tenant_id="",currency="USD"})") ==
      3);
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_success") == 1);

  now += 60;
  source.answers.push_back(Failure{FailureReason::http_status, "HTTP 500: boom"});
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);  // still within maxStaleness
  s = series_of(p->text());
  CHECK(
      s.count(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="b",tenant_id="",currency="USD"})") ==
      1);
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_success") == 0);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="http_status"})") == 1);
  CHECK(s.at("cloudtuner_kubecost_exporter_last_success_timestamp_seconds") == 1000);

  now = 1000 + 181;
  poller.expire_if_stale();
  p = publisher.current();
  CHECK_FALSE(p->ready);
  s = series_of(p->text());
  CHECK(s.at("cloudtuner_kubecost_exporter_series_count") == 0);
  for (auto& [name, v] : s) CHECK(name.starts_with("cloudtuner_kubecost_exporter_"));

  now += 60;
  source.answers.push_back(ok_body(k_one));  // b is gone from Kubecost
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);
  s = series_of(p->text());
  CHECK(
      s.count(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="b",tenant_id="",currency="USD"})") ==
      0);
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="a",tenant_id="",currency="USD"})") ==
      2);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="http_status"})") == 1);
}

TEST_CASE("poller: an empty or unparsable answer is a failure that keeps the last good data") {
  Config config;
  double now = 1000;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics, [&] { return now; });
  source.answers.push_back(ok_body(k_two));
  source.answers.push_back(ok_body(R"({"code":200,"data":[null]})"));
  source.answers.push_back(ok_body("<html>oops</html>"));
  poller.poll_once();
  poller.poll_once();
  poller.poll_once();
  auto s = series_of(publisher.current()->text());
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="empty"})") == 1);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="parse"})") == 1);
  CHECK(s.at("cloudtuner_kubecost_exporter_series_count") > 0);
  CHECK(publisher.current()->last_error == "HTML page instead of JSON");
}

TEST_CASE("poller: the gzip pieces are one gzip member of the text, read by zlib") {
  Config config;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics, [] { return 1000.0; });
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  auto first = publisher.current();
  REQUIRE(first->costs);
  const std::string text = first->text();
  CHECK(text.find("cloudtuner_kubecost_namespace_total_cost{") != std::string::npos);
  CHECK(gunzip(served_gzip(*first)) == text);
  // A failed poll keeps the cost bytes and publishes new health series behind them.
  source.answers.push_back(Failure{FailureReason::http_status, "HTTP 500: boom"});
  poller.poll_once();
  auto second = publisher.current();
  REQUIRE(second->costs == first->costs);
  CHECK(second->health != first->health);
  CHECK(gunzip(served_gzip(*second)) == second->text());
}

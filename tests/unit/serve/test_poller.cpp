#include <catch2/catch.hpp>

#include <deque>

#include <thread>

#include "exporter/http/http_client.hpp"
#include "exporter/serve/http_router.hpp"
#include "exporter/serve/poller.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::series_of;

namespace {

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

TEST_CASE("poller: gzip bytes are the text bytes compressed") {
  Config config;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics, [] { return 1000.0; });
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  auto p = publisher.current();
  REQUIRE(p->gzip.size() > 18);
  CHECK(static_cast<unsigned char>(p->gzip[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(p->gzip[1]) == 0x8b);
  // ISIZE trailer: uncompressed length mod 2^32, little-endian.
  std::size_t n = p->gzip.size();
  std::uint32_t isize = 0;
  for (int i = 3; i >= 0; --i)
    isize = (isize << 8) | static_cast<unsigned char>(p->gzip[n - 4 + i]);
  CHECK(isize == p->size());
}

TEST_CASE("poller: under leader election only the leader publishes cost series") {
  Config config;
  config.metric_mode = MetricMode::total;
  config.leader_election.enabled = true;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics, [] { return 1000.0; });
  const std::string leader = "cloudtuner_kubecost_exporter_leader";
  // A follower from the start: health only, leader 0, ready (it serves what it should).
  auto p = publisher.current();
  CHECK(p->election);
  CHECK_FALSE(p->leading);
  CHECK(series_of(p->text()).at(leader) == 0);
  CHECK(p->costs == nullptr);

  poller.set_leadership({true, "me", "me"});
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);
  CHECK(series_of(p->text()).at(leader) == 1);
  CHECK(p->costs != nullptr);
  CHECK(p->leader_identity == "me");

  // Losing leadership withdraws the cost series at once, without waiting for a poll.
  poller.set_leadership({false, "other", "me"});
  p = publisher.current();
  CHECK(p->costs == nullptr);
  CHECK_FALSE(p->ready);
  CHECK(series_of(p->text()).at(leader) == 0);
  CHECK(p->leader_identity == "other");
  // A poll that completes after leadership is gone publishes nothing.
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  CHECK(publisher.current()->costs == nullptr);
}

TEST_CASE("poller: a follower never calls Kubecost; leadership starts a poll at once") {
  Config config;
  config.leader_election.enabled = true;
  config.scrape_interval = std::chrono::hours(1);
  struct CountingSource : ScriptedSource {
    std::atomic<int> fetches{0};
    Expected<void> fetch(BodySink& sink) override {
      ++fetches;
      if (answers.empty()) return Failure{FailureReason::connect, "no answer scripted"};
      return ScriptedSource::fetch(sink);
    }
  } source;
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  Poller poller(config, publisher, source, metrics);
  poller.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(source.fetches == 0);
  CHECK(publisher.current()->costs == nullptr);
  // A follower is ready, and its landing page names the leader.
  poller.set_leadership({false, "pod-b", "pod-a"});
  auto ready = route({"GET", "/readyz", "", true}, publisher.current(), config);
  CHECK(ready.status == 200);
  CHECK(ready.owned_body.starts_with("ready (follower"));
  auto page = route({"GET", "/", "", true}, publisher.current(), config);
  CHECK(page.owned_body.find("Leader: <b>pod-b</b>") != std::string::npos);
  CHECK(source.fetches == 0);
  source.answers.push_back(ok_body(k_one));
  poller.set_leadership({true, "me", "me"});
  // Bounded wait (not a timing assertion): the hour-long interval is not waited out.
  for (int i = 0; i < 200 && publisher.current()->costs == nullptr; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(publisher.current()->costs != nullptr);
  CHECK(source.fetches == 1);
  poller.stop();
}

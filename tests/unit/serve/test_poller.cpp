#include <zlib.h>
#include <catch2/catch.hpp>

#include <deque>
#include <map>

#include <thread>

#include "exporter/http/http_client.hpp"
#include "exporter/serve/http_router.hpp"
#include "exporter/serve/poller.hpp"
#include "fake_env.hpp"
#include "gunzip.hpp"
#include "test_support.hpp"

using namespace kci;
using kci::test::FakeEnv;
using kci::test::series_of;
using namespace std::chrono_literals;

namespace {

// The /metrics body the router serves for `p`, with `metrics` rendered at the request (as the
// web server does): plain text, or gzip when asked.
std::string served(const std::shared_ptr<const kci::Published>& p, const kci::SelfMetrics& metrics,
                   bool gzip = false) {
  const kci::HttpReply reply =
      kci::route({"GET", "/metrics", gzip ? "gzip" : "", true}, p, kci::LandingPageOptions{},
                 [&] { return metrics.render(); });
  std::string body;
  for (auto piece : reply.body()) body += piece;
  return body;
}

// zlib reads it back (util's compressor is under test): the text, checked to be one member.
std::string gunzip(const std::string& gz) {
  bool one_member = false;
  std::string text = kci::test::gunzip(gz, &one_member);
  CHECK(one_member);
  return text;
}

class ScriptedSource : public AllocationSource {
 public:
  std::deque<Expected<HttpResponse>> answers;
  std::map<std::string, std::string, std::less<>> label_answers;  // key -> body
  std::vector<std::string> label_requests;
  Expected<void> fetch(BodySink& sink) override {
    auto a = std::move(answers.front());
    answers.pop_front();
    if (!a.ok()) return a.failure();
    return feed(a.value().body, sink);
  }
  bool has_label_aggregation() const override { return !label_answers.empty(); }
  Expected<void> fetch_label(std::string_view key, BodySink& sink) override {
    label_requests.emplace_back(key);
    auto it = label_answers.find(key);
    if (it == label_answers.end()) return Failure{FailureReason::http_status, "HTTP 400"};
    return feed(it->second, sink);
  }

 private:
  static Expected<void> feed(const std::string& body, BodySink& sink) {
    sink.begin();
    // Byte by byte: the poller must not depend on how the answer is cut.
    for (char c : body)
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

TEST_CASE("poller: serves last good data through failures, drops it when stale, recovers",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  polling.scrape_interval = std::chrono::seconds(60);  // maxStaleness 180 s
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  CHECK_FALSE(publisher.current()->ready);

  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  auto p = publisher.current();
  CHECK(p->ready);
  auto s = series_of(served(p, metrics));
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="b",tenant_id="",currency="USD"})") ==
      3);
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_success") == 1);

  env.advance(60s);
  source.answers.push_back(Failure{FailureReason::http_status, "HTTP 500: boom"});
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);  // still within maxStaleness
  s = series_of(served(p, metrics));
  CHECK(
      s.count(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="b",tenant_id="",currency="USD"})") ==
      1);
  CHECK(s.at("cloudtuner_kubecost_exporter_scrape_success") == 0);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="http_status"})") == 1);
  CHECK(s.at("cloudtuner_kubecost_exporter_last_success_timestamp_seconds") == 1000);

  env.advance(121s);  // 181 s after the good poll
  poller.expire_if_stale();
  p = publisher.current();
  CHECK_FALSE(p->ready);
  s = series_of(served(p, metrics));
  CHECK(s.at("cloudtuner_kubecost_exporter_series_count") == 0);
  for (auto& [name, v] : s) CHECK(name.starts_with("cloudtuner_kubecost_exporter_"));

  env.advance(60s);
  source.answers.push_back(ok_body(k_one));  // b is gone from Kubecost
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);
  s = series_of(served(p, metrics));
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

TEST_CASE("poller: an empty or unparsable answer is a failure that keeps the last good data",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  source.answers.push_back(ok_body(R"({"code":200,"data":[null]})"));
  source.answers.push_back(ok_body("<html>oops</html>"));
  poller.poll_once();
  poller.poll_once();
  poller.poll_once();
  auto s = series_of(served(publisher.current(), metrics));
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="empty"})") == 1);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="parse"})") == 1);
  CHECK(s.at("cloudtuner_kubecost_exporter_series_count") > 0);
  CHECK(publisher.current()->last_error == "HTML page instead of JSON");
}

TEST_CASE("poller: the gzip pieces are one gzip member of the text, read by zlib", "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  auto first = publisher.current();
  REQUIRE(first->costs);
  const std::string text = served(first, metrics);
  CHECK(text.find("cloudtuner_kubecost_namespace_total_cost{") != std::string::npos);
  CHECK(gunzip(served(first, metrics, true)) == text);
  // A failed poll keeps the cost bytes; the health series behind them are rendered per request.
  source.answers.push_back(Failure{FailureReason::http_status, "HTTP 500: boom"});
  poller.poll_once();
  auto second = publisher.current();
  REQUIRE(second->costs == first->costs);
  CHECK(served(second, metrics) != text);
  CHECK(gunzip(served(second, metrics, true)) == served(second, metrics));
}

TEST_CASE("poller: only null sets for a 1h window are no_data_yet, kept up to the window length",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.window = *parse_window("1h");
  polling.scrape_interval = std::chrono::seconds(60);  // maxStaleness 180 s
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  env.advance(600s);  // 10 minutes on: the new hour has begun and Kubecost has not built it yet
  source.answers.push_back(ok_body(R"({"code":200,"data":[null]})"));
  poller.poll_once();
  auto p = publisher.current();
  auto s = series_of(served(p, metrics));
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="no_data_yet"})") == 1);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="empty"})") == 0);
  CHECK(p->ready);  // past maxStaleness (180 s), within the window's hour
  CHECK(p->last_error.find("no data yet for window 1h") != std::string::npos);
  env.advance(3001s);  // 3601 s after the good poll
  poller.expire_if_stale();
  CHECK_FALSE(publisher.current()->ready);
}

TEST_CASE("poller: only null sets for a 24h window stay `empty` and expire at maxStaleness",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  polling.scrape_interval = std::chrono::seconds(60);
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  env.advance(600s);
  source.answers.push_back(ok_body(R"({"code":200,"data":[null]})"));
  poller.poll_once();
  auto p = publisher.current();
  CHECK(series_of(served(p, metrics))
            .at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="empty"})") == 1);
  CHECK_FALSE(p->ready);
}

TEST_CASE("poller: the window hours the data covers are a health series", "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  FakeEnv env;
  env.set_wall_unix_seconds(2e9);
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(
      R"({"data":[{"a":{"window":{"start":"2024-01-01T00:00:00Z","end":"2024-01-02T00:00:00Z"},"start":"2024-01-01T00:00:00Z","end":"2024-01-01T18:00:00Z","totalCost":18}}]})"));
  poller.poll_once();
  auto s = series_of(served(publisher.current(), metrics));
  CHECK(s.at("cloudtuner_kubecost_exporter_data_window_seconds") == 18 * 3600);
  CHECK(
      s.at(
          R"(cloudtuner_kubecost_namespace_total_cost{cluster="kubernetes",namespace="a",tenant_id="",currency="USD"})") ==
      1);
}

TEST_CASE("poller: label families from one label answer per key reconcile to the cluster",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  series.label_keys = {"team", "app"};
  ScriptedSource source;
  source.answers.push_back(ok_body(
      R"({"data":[{"a":{"totalCost":2,"cpuCost":1,"ramCost":1},"b":{"totalCost":3,"cpuCost":2,"ramCost":1},"__idle__":{"totalCost":5,"cpuCost":4,"ramCost":1}}]})"));
  source.label_answers["team"] =
      R"({"data":[{"red":{"properties":{"namespace":"a"},"totalCost":2,"cpuCost":1,"ramCost":1},"__unallocated__":{"totalCost":3,"cpuCost":2,"ramCost":1},"__idle__":{"totalCost":5}}]})";
  source.label_answers["app"] = R"({"data":[{"web":{"totalCost":5,"cpuCost":3,"ramCost":2}}]})";
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  FakeEnv env;
  env.set_wall_unix_seconds(2e9);
  Poller poller(polling, series, publisher, source, metrics, env);
  poller.poll_once();
  CHECK(source.label_requests == std::vector<std::string>{"team", "app"});
  auto s = series_of(served(publisher.current(), metrics));
  const std::string tail = R"(",cluster="kubernetes",tenant_id="",currency="USD"})";
  CHECK(s.at(R"(cloudtuner_kubecost_label_total_cost{label_key="team",label_value="red)" + tail) ==
        2);
  CHECK(s.at(R"(cloudtuner_kubecost_label_cpu_cost{label_key="team",label_value="__unallocated__)" +
             tail) == 2);
  const double cluster = s.at(
      R"(cloudtuner_kubecost_cluster_total_cost{cluster="kubernetes",tenant_id="",currency="USD"})");
  const double idle = s.at(
      R"(cloudtuner_kubecost_idle_total_cost{cluster="kubernetes",tenant_id="",currency="USD"})");
  for (const char* key : {"team", "app"}) {
    double sum = 0;
    for (auto& [name, v] : s)
      if (name.starts_with("cloudtuner_kubecost_label_total_cost{label_key=\"" + std::string(key)))
        sum += v;
    INFO(key);
    CHECK(sum + idle == cluster);
  }
  // A failed label answer fails the poll: no half-published families.
  source.answers.push_back(ok_body(k_two));
  source.label_answers.erase("app");
  poller.poll_once();
  CHECK(series_of(served(publisher.current(), metrics))
            .at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="http_status"})") == 1);
}

TEST_CASE("poller: under leader election only the leader publishes cost series", "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  polling.leader_election = true;
  SelfMetricsOptions self;
  self.leader_election = true;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(self);
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  Poller poller(polling, series, publisher, source, metrics, env);
  const std::string leader = "cloudtuner_kubecost_exporter_leader";
  // A follower from the start: health only, leader 0, ready (it serves what it should).
  auto p = publisher.current();
  CHECK(p->election);
  CHECK_FALSE(p->leading);
  CHECK(series_of(served(p, metrics)).at(leader) == 0);
  CHECK(p->costs == nullptr);

  poller.set_leadership({true, "me", "me"});
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  p = publisher.current();
  CHECK(p->ready);
  CHECK(series_of(served(p, metrics)).at(leader) == 1);
  CHECK(p->costs != nullptr);
  CHECK(p->leader_identity == "me");

  // Losing leadership withdraws the cost series at once, without waiting for a poll.
  poller.set_leadership({false, "other", "me"});
  p = publisher.current();
  CHECK(p->costs == nullptr);
  CHECK_FALSE(p->ready);
  CHECK(series_of(served(p, metrics)).at(leader) == 0);
  CHECK(p->leader_identity == "other");
  // A poll that completes after leadership is gone publishes nothing.
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  CHECK(publisher.current()->costs == nullptr);
}

TEST_CASE("poller: a follower never calls Kubecost; leadership starts a poll at once",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  polling.leader_election = true;
  SelfMetricsOptions self;
  self.leader_election = true;
  polling.scrape_interval = std::chrono::hours(1);
  struct CountingSource : ScriptedSource {
    std::atomic<int> fetches{0};
    Expected<void> fetch(BodySink& sink) override {
      ++fetches;
      if (answers.empty()) return Failure{FailureReason::connect, "no answer scripted"};
      return ScriptedSource::fetch(sink);
    }
  } source;
  MetricsPublisher publisher;
  SelfMetrics metrics(self);
  FakeEnv env;
  Poller poller(polling, series, publisher, source, metrics, env);
  poller.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  env.advance(3h);  // three intervals: a follower still does not poll
  CHECK(source.fetches == 0);
  CHECK(publisher.current()->costs == nullptr);
  // A follower is ready, and its landing page names the leader.
  poller.set_leadership({false, "pod-b", "pod-a"});
  auto ready = route({"GET", "/readyz", "", true}, publisher.current(), LandingPageOptions{});
  CHECK(ready.status == 200);
  CHECK(ready.owned_body.starts_with("ready (follower"));
  auto page = route({"GET", "/", "", true}, publisher.current(), LandingPageOptions{});
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

TEST_CASE("poller: staleness is judged on the monotonic clock; a wall-clock step changes nothing",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  polling.scrape_interval = std::chrono::seconds(60);  // maxStaleness 180 s
  FakeEnv env;
  env.set_wall_unix_seconds(10'000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  REQUIRE(publisher.current()->ready);

  SECTION("the wall clock steps back 1 h: the series still go after maxStaleness") {
    env.step_wall(-1h);
    env.advance(181s);
    poller.expire_if_stale();
    auto p = publisher.current();
    CHECK_FALSE(p->ready);
    CHECK(p->costs == nullptr);
    CHECK(series_of(served(p, metrics)).at("cloudtuner_kubecost_exporter_series_count") == 0);
  }
  SECTION("the wall clock steps forward 1 h: fresh series are kept") {
    env.step_wall(1h);
    env.advance(60s);
    poller.expire_if_stale();
    CHECK(publisher.current()->ready);
  }
  SECTION("published timestamps are wall time") {
    env.advance(30s);
    env.step_wall(-1h);
    source.answers.push_back(ok_body(k_one));
    poller.poll_once();
    auto s = series_of(served(publisher.current(), metrics));
    CHECK(s.at("cloudtuner_kubecost_exporter_last_success_timestamp_seconds") == 10'030 - 3600);
  }
}

TEST_CASE("poller: the loop drops stale series when the fake clock passes maxStaleness",
          "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  polling.scrape_interval = std::chrono::hours(1);  // maxStaleness 3 h; no poll in between
  polling.max_staleness = std::chrono::seconds(90);
  polling.scrape_jitter_max = std::chrono::milliseconds(0);
  FakeEnv env;
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  Poller poller(polling, series, publisher, source, metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.start();
  // Bounded waits (not timing assertions): the loop runs on its own thread.
  for (int i = 0; i < 500 && !publisher.current()->ready; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(publisher.current()->ready);
  for (int i = 0; i < 500 && env.waiters() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // The loop sleeps until the staleness deadline (90 s + 10 ms), well before the next poll.
  CHECK(env.next_deadline() - env.monotonic_now() < std::chrono::seconds(91));
  env.step_wall(-1h);
  env.advance(89s);
  CHECK(publisher.current()->ready);
  env.advance(2s);
  for (int i = 0; i < 500 && publisher.current()->ready; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK_FALSE(publisher.current()->ready);
  poller.stop();
}

TEST_CASE(
    "readyz: ready whatever Kubecost does; fixed words and the reason label, never a message") {
  auto state = std::make_shared<Published>();
  auto fresh_install = route({"GET", "/readyz", "", false}, state, LandingPageOptions{});
  CHECK(fresh_install.status == 200);
  CHECK(fresh_install.owned_body == "ready (no cost data yet)\n");
  state->last_error = "HTTP 401: <html>Authorization: Bearer leaked-token</html>";
  state->last_failure_reason = "http_status";
  auto never = route({"GET", "/readyz", "", false}, state, LandingPageOptions{});
  CHECK(never.status == 200);
  CHECK(never.owned_body == "ready (no cost data yet; last poll failed: http_status)\n");
  state->last_success_timestamp = 1'700'000'000;
  auto stale = route({"GET", "/readyz", "", false}, state, LandingPageOptions{});
  CHECK(stale.status == 200);
  CHECK(stale.owned_body == "ready (cost data is stale; last poll failed: http_status)\n");
  // /healthz does not depend on Kubecost either.
  CHECK(route({"GET", "/healthz", "", false}, state, LandingPageOptions{}).status == 200);
}

TEST_CASE(
    "poller: a poll over maxSeries fails with reason too_many_series and keeps the last "
    "good series (issue 21 item D)",
    "[threads]") {
  CostSeriesOptions series;
  PollerOptions polling;
  series.metric_mode = MetricMode::total;
  polling.scrape_interval = std::chrono::seconds(60);
  FakeEnv env;
  env.set_wall_unix_seconds(1000);
  ScriptedSource source;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  // The bound is exactly the series of the two-namespace answer: a third namespace is over it.
  {
    CostSeriesOptions probe = series;
    Poller counting(polling, probe, publisher, source, metrics, env);
    source.answers.push_back(ok_body(k_two));
    counting.poll_once();
    series.max_series = publisher.current()->cost_series;
  }
  REQUIRE(series.max_series > 0);
  MetricsPublisher bounded_publisher;
  SelfMetrics bounded_metrics(SelfMetricsOptions{});
  Poller poller(polling, series, bounded_publisher, source, bounded_metrics, env);
  source.answers.push_back(ok_body(k_two));
  poller.poll_once();
  const auto good = bounded_publisher.current();
  REQUIRE(good->last_poll_ok);
  REQUIRE(good->costs != nullptr);

  env.advance(60s);
  source.answers.push_back(
      ok_body(R"({"data":[{"a":{"totalCost":2},"b":{"totalCost":3},"c":{"totalCost":4}}]})"));
  poller.poll_once();
  const auto p = bounded_publisher.current();
  CHECK_FALSE(p->last_poll_ok);
  CHECK(p->ready);
  CHECK(p->costs == good->costs);  // the last good series, as they were
  CHECK(p->cost_series == series.max_series);
  CHECK(p->last_error.find(" series, more than maxSeries=" + std::to_string(series.max_series) +
                           ": nothing of this poll is published") != std::string::npos);
  auto s = series_of(served(p, bounded_metrics));
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="too_many_series"})") == 1);
  CHECK(s.at(R"(cloudtuner_kubecost_exporter_scrape_errors_total{reason="internal"})") == 0);
}

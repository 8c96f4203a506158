// The poller thread publishing while HTTP threads serve /metrics: run under ThreadSanitizer in CI.
#include <httplib.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/serve/poller.hpp"
#include "exporter/serve/web_server.hpp"

using namespace kci;
using namespace std::chrono_literals;

TEST_CASE("concurrency: polls and scrapes overlap; every scrape is a whole exposition",
          "[threads]") {
  AllocationQueryOptions query;
  query.pod_metrics = true;
  CostSeriesOptions series;
  series.pod_metrics = true;
  PollerOptions polling;
  polling.scrape_interval = 20ms;  // far below the CLI minimum: this test wants many polls
  polling.scrape_jitter_max = 0ms;
  LandingPageOptions landing;
  landing.demo = true;
  MetricsPublisher publisher;
  SelfMetrics metrics(SelfMetricsOptions{});
  DemoSource source(query, 2000);
  WebServer server("127.0.0.1:0", landing, publisher, {}, &metrics);
  REQUIRE(server.bind());
  std::thread http([&] { server.serve(); });
  Poller poller(polling, series, publisher, source, metrics);
  poller.start();

  std::atomic<int> scrapes = 0, bad = 0;
  std::vector<std::thread> clients;
  clients.reserve(4);
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server.port());
      httplib::Headers headers;
      if (c % 2) headers.emplace("Accept-Encoding", "gzip");
      for (int i = 0; i < 10000 && std::chrono::steady_clock::now() < until; ++i) {
        auto r = client.Get("/metrics", headers);
        ++scrapes;
        if (!r || r->status != 200 || r->body.empty() || r->body.back() != '\n' ||
            r->body.find("cloudtuner_kubecost_exporter_info{") == std::string::npos)
          ++bad;
      }
    });
  }
  for (auto& t : clients) t.join();
  poller.stop();
  server.stop();
  http.join();
  CHECK(scrapes > 0);
  CHECK(bad == 0);
  CHECK(publisher.current()->ready);
}

#include "exporter/app/serve_mode.hpp"

#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <thread>

#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/kubecost/json_kernel.hpp"
#include "exporter/kubecost/kubecost_source.hpp"
#include "exporter/serve/poller.hpp"
#include "exporter/serve/web_server.hpp"
#include "exporter/util/logging.hpp"

namespace kci {

int run_serve(const Config& config) {
  // Signals go to sigwait() below, never to a worker thread: block them before any thread.
  sigset_t signals;
  sigemptyset(&signals);
  // SIGHUP reloads the web config; SIGUSR1/SIGUSR2 are ignored (their default would kill us).
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  log::info("Starting Kubecost Allocation Exporter for CloudTuner",
            {{"version", EXPORTER_VERSION}, {"simdjson_kernel", json_kernel()}});
  log::info("Kubecost URL: " +
            (config.demo ? std::string("(demo data)") : redact_url(config.kubecost.url)));
  log::info("Tenant ID: " + config.tenant_id);
  log::info("config", {{"cluster", config.cluster_name},
                       {"interval", format_duration(config.scrape_interval)},
                       {"window", config.window.text},
                       {"aggregation", config.aggregation_level},
                       {"metric_mode", config.metric_mode == MetricMode::rate ? "rate" : "total"},
                       {"pod_metrics", config.wants_pods() ? "true" : "false"},
                       {"max_staleness", format_duration(config.effective_max_staleness())}});
  if (config.tenant_id.empty())
    log::warn("TENANT_ID is empty: the SaaS cannot attribute these series");
  if (config.share_idle == "even")
    log::warn("shareIdle=even is not offered by Kubecost's API; idle is shared by cost weight");

  WebConfig web;
  if (!config.web_config_file.empty()) web = load_web_config(config.web_config_file);
  MetricsPublisher publisher;
  SelfMetrics metrics(config);
  WebServer server(config, publisher, web, &metrics);
  if (web.tls || !web.basic_auth_users.empty())
    log::info("web config loaded",
              {{"tls", web.tls ? "true" : "false"},
               {"basic_auth_users", std::to_string(web.basic_auth_users.size())}});
  if (!server.bind()) {
    std::fprintf(stderr, "allocation-exporter: %s\n", server.bind_error().c_str());
    return 2;
  }

  std::unique_ptr<AllocationSource> source;
  if (config.demo) {
    source = std::make_unique<DemoSource>(config);
  } else {
    source = std::make_unique<KubecostSource>(config);
  }
  Poller poller(config, publisher, *source, metrics);
  std::thread http([&] { server.serve(); });
  poller.start();

  int sig = 0;
  while (true) {
    sigwait(&signals, &sig);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig != SIGHUP) {
      log::info("signal ignored", {{"signal", sig == SIGUSR1 ? "SIGUSR1" : "SIGUSR2"}});
      continue;
    }
    if (config.web_config_file.empty()) {
      log::info("SIGHUP: no web config file to reload");
      continue;
    }
    try {
      server.reload(load_web_config(config.web_config_file));
      log::info("web config reloaded", {{"file", config.web_config_file}});
    } catch (const ConfigError& e) {
      log::error("web config reload failed; keeping the previous one", {{"error", e.what()}});
    }
  }
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  http.join();
  // The poller may be inside a request: cancel() aborts it; give it a bounded time.
  auto stopped = std::async(std::launch::async, [&] { poller.stop(); });
  if (stopped.wait_for(std::chrono::seconds(4)) != std::future_status::ready) {
    log::warn("poller did not stop in time; exiting anyway");
    std::_Exit(0);
  }
  log::info("stopped");
  return 0;
}

}  // namespace kci

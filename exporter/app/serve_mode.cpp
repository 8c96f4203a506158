#include "exporter/app/serve_mode.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <future>
#include <memory>
#include <thread>

#include "exporter/app/serve_options.hpp"
#include "exporter/election/kube_api_client.hpp"
#include "exporter/election/leader_elector.hpp"
#include "exporter/election/lease_lock.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/kubecost/json_kernel.hpp"
#include "exporter/kubecost/kubecost_source.hpp"
#include "exporter/serve/poller.hpp"
#include "exporter/serve/web_server.hpp"
#include "exporter/util/env.hpp"
#include "exporter/util/logging.hpp"

namespace kci {
namespace {

// SIGTERM to exit: the most shutdown may take (the exit itself follows at once).
constexpr std::chrono::milliseconds k_shutdown_budget{4'500};

// Everything leader election needs, built before any thread starts so a bad kubeconfig or a
// missing token is a start-up error (exit 2).
struct Election {
  std::unique_ptr<KubeApiClient> api;
  std::unique_ptr<KubeLeaseLock> lock;
  std::unique_ptr<LeaderElector> elector;
  std::string identity;
  std::string namespace_name;
  std::string source, server;  // for the start-up log
};

// The identity is POD_NAME (downward API), else the host name (a pod's host name is its name).
std::string election_identity(const EnvLookup& env) {
  if (auto pod = env("POD_NAME"); pod && !pod->empty()) return *pod;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
    throw ConfigError("leaderElection: no identity: POD_NAME is unset and the host name unknown");
  return host;
}

std::unique_ptr<Election> prepare_election(const Config& config) {
  const auto env = process_environment();
  auto e = std::make_unique<Election>();
  KubeConnection connection =
      config.kubeconfig.empty() ? in_cluster_connection(env) : load_kubeconfig(config.kubeconfig);
  e->identity = election_identity(env);
  e->namespace_name = config.leader_election.namespace_name;
  if (e->namespace_name.empty()) {
    if (auto ns = env("POD_NAMESPACE"); ns && !ns->empty()) e->namespace_name = *ns;
  }
  if (e->namespace_name.empty()) e->namespace_name = connection.namespace_name;
  if (e->namespace_name.empty())
    throw ConfigError("leaderElection.namespace: not set, POD_NAMESPACE is unset and " +
                      connection.source + " names no namespace");
  e->source = connection.source;
  e->server = redact_url(connection.endpoint.url);
  e->api = std::make_unique<KubeApiClient>(std::move(connection));
  e->lock = std::make_unique<KubeLeaseLock>(*e->api, e->namespace_name,
                                            config.leader_election.lease_name);
  return e;
}

}  // namespace

int run_serve(const Config& config) {
  // Signals go to sigwait() below, never to a worker thread: block them before any thread.
  sigset_t signals;
  sigemptyset(&signals);
  // SIGHUP reloads the web config; SIGUSR1/SIGUSR2 are ignored (their default would kill us).
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // A bad kubeconfig or a missing token is a configuration error: one line, exit 2, before
  // anything else is printed.
  std::unique_ptr<Election> election;
  if (config.leader_election.enabled) election = prepare_election(config);

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

  if (election)
    log::info("leader election on",
              {{"api", election->source},
               {"server", election->server},
               {"lease", election->namespace_name + "/" + config.leader_election.lease_name},
               {"identity", election->identity},
               {"lease_duration", format_duration(config.leader_election.lease_duration)},
               {"renew_deadline", format_duration(config.leader_election.renew_deadline)},
               {"retry_period", format_duration(config.leader_election.retry_period)}});

  WebConfig web;
  if (!config.web_config_file.empty()) web = load_web_config(config.web_config_file);
  MetricsPublisher publisher;
  SelfMetrics metrics(self_metrics_options(config));
  WebServer server(config.listen_address, landing_page_options(config), publisher, web, &metrics);
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
    source = std::make_unique<DemoSource>(allocation_query_options(config), config.demo_pods);
  } else {
    source = std::make_unique<KubecostSource>(config.kubecost, allocation_query_options(config));
  }
  Env& env = Env::system();
  Poller poller(poller_options(config), cost_series_options(config), publisher, *source, metrics,
                env);
  if (election) {
    const std::string identity = election->identity;
    poller.set_leadership({false, "", identity});
    election->elector = std::make_unique<LeaderElector>(
        *election->lock,
        ElectorConfig{identity, config.leader_election.lease_duration,
                      config.leader_election.renew_deadline, config.leader_election.retry_period},
        env, [&poller, identity](bool leading, const std::string& holder) {
          poller.set_leadership({leading, holder, identity});
        });
  }
  std::thread http([&] { server.serve(); });
  poller.start();
  if (election) election->elector->start();

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
  // Everything below ends within k_shutdown_budget of the signal, whatever Kubecost or the API
  // server do (Kubernetes' grace period is 30 s by default; we promise 5 s). The poller and the
  // elector stop side by side: the poller's request in flight is cancelled; the elector's too
  // (LeaseLock::interrupt), then it steps down, which withdraws our cost series, and hands the
  // Lease over (client-go ReleaseOnCancel), bounded by its release deadline (2 s), so a
  // follower takes over at its next retry.
  const auto shutdown_deadline = std::chrono::steady_clock::now() + k_shutdown_budget;
  auto poller_stopped = std::async(std::launch::async, [&] { poller.stop(); });
  std::future<void> elector_stopped;
  if (election)
    elector_stopped = std::async(std::launch::async, [&] { election->elector->stop(); });
  server.stop();
  http.join();
  const auto in_time = [&](std::future<void>& f) {
    return !f.valid() || f.wait_until(shutdown_deadline) == std::future_status::ready;
  };
  if (!in_time(elector_stopped) || !in_time(poller_stopped)) {
    log::warn("shutdown did not finish in time; exiting anyway",
              {{"budget", format_duration(k_shutdown_budget)}});
    std::fflush(nullptr);
    std::_Exit(0);
  }
  log::info("stopped");
  return 0;
}

}  // namespace kci

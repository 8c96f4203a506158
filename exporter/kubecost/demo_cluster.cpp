#include "exporter/kubecost/demo_cluster.hpp"

#include "exporter/util/env.hpp"
#include "exporter/util/text_util.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace kci {
namespace {

const char* const k_teams[] = {"payments", "search", "platform", "data", "web", "ml"};
const char* const k_ns_words[] = {"checkout", "catalog", "ingest", "billing", "auth",
                                  "gateway",  "reports", "etl",    "cache",   "queue"};

std::string iso(double unix_seconds) { return format_utc(static_cast<std::int64_t>(unix_seconds)); }

double round5(double v) { return std::round(v * 1e5) / 1e5; }

struct DemoAlloc {
  std::string name, ns, pod, team, app;
  double minutes, cpu_req, cpu_use, ram_req, ram_use;
  double cpu_cost, ram_cost, gpu_cost, pv_cost, net_cost, lb_cost, shared_cost, ext_cost;
  bool null_eff;
};

void number(std::string& out, const char* key, double v, bool null = false) {
  char buf[64];
  if (null) {
    std::snprintf(buf, sizeof buf, "\"%s\":null,", key);
  } else {
    std::snprintf(buf, sizeof buf, "\"%s\":%.5f,", key, v);
  }
  out += buf;
}

void write_alloc(std::string& out, const DemoAlloc& a, const std::string& window) {
  out += "\"" + a.name + "\":{\"name\":\"" + a.name + "\",\"properties\":{\"cluster\":\"demo\"";
  if (!a.ns.empty()) out += ",\"namespace\":\"" + a.ns + "\"";
  if (!a.pod.empty()) out += ",\"pod\":\"" + a.pod + "\"";
  if (!a.team.empty())
    out += ",\"labels\":{\"app\":\"" + a.app + "\",\"team\":\"" + a.team +
           "\"},\"namespaceLabels\":{\"team\":\"" + a.team + "\"}";
  out += "}," + window;
  const double hours = a.minutes / 60.0;
  const double cpu_eff = a.cpu_req > 0 ? a.cpu_use / a.cpu_req : 0;
  const double ram_eff = a.ram_req > 0 ? a.ram_use / a.ram_req : 0;
  const double cr = a.cpu_cost + a.ram_cost;
  const double total_eff = cr > 0 ? (cpu_eff * a.cpu_cost + ram_eff * a.ram_cost) / cr : 0;
  const double total = a.cpu_cost + a.ram_cost + a.gpu_cost + a.pv_cost + a.net_cost + a.lb_cost +
                       a.shared_cost + a.ext_cost;
  number(out, "minutes", a.minutes);
  number(out, "cpuCores", a.cpu_req);
  number(out, "cpuCoreRequestAverage", a.cpu_req);
  number(out, "cpuCoreUsageAverage", a.cpu_use);
  number(out, "cpuCoreHours", a.cpu_req * hours);
  number(out, "cpuCost", a.cpu_cost);
  number(out, "cpuCostAdjustment", 0);
  number(out, "cpuEfficiency", cpu_eff, a.null_eff);
  number(out, "gpuCount", 0);
  number(out, "gpuHours", 0);
  number(out, "gpuCost", a.gpu_cost);
  number(out, "gpuCostAdjustment", 0);
  number(out, "networkTransferBytes", a.net_cost * 1e9);
  number(out, "networkReceiveBytes", a.net_cost * 2e9);
  number(out, "networkCost", a.net_cost);
  number(out, "networkCostAdjustment", 0);
  number(out, "loadBalancerCost", a.lb_cost);
  number(out, "loadBalancerCostAdjustment", 0);
  number(out, "pvBytes", a.pv_cost > 0 ? 10737418240.0 : 0);
  number(out, "pvByteHours", a.pv_cost > 0 ? 10737418240.0 * hours : 0);
  number(out, "pvCost", a.pv_cost);
  out += "\"pvs\":null,";
  number(out, "pvCostAdjustment", 0);
  number(out, "ramBytes", a.ram_req);
  number(out, "ramByteRequestAverage", a.ram_req);
  number(out, "ramByteUsageAverage", a.ram_use);
  number(out, "ramByteHours", a.ram_req * hours);
  number(out, "ramCost", a.ram_cost);
  number(out, "ramCostAdjustment", 0);
  number(out, "ramEfficiency", ram_eff, a.null_eff);
  number(out, "sharedCost", a.shared_cost);
  number(out, "externalCost", a.ext_cost);
  number(out, "totalCost", total);
  number(out, "totalEfficiency", total_eff, a.null_eff);
  out += "\"rawAllocationOnly\":null,\"lbAllocations\":null}";
}

DemoAlloc merge(const std::vector<DemoAlloc>& pods, const std::string& ns) {
  DemoAlloc n{ns, ns, "",   pods.front().team, pods.front().app, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
              0,  0,  false};
  for (const auto& p : pods) {
    n.minutes = std::max(n.minutes, p.minutes);
    n.cpu_req += p.cpu_req * p.minutes;
    n.cpu_use += p.cpu_use * p.minutes;
    n.ram_req += p.ram_req * p.minutes;
    n.ram_use += p.ram_use * p.minutes;
    n.cpu_cost += p.cpu_cost;
    n.ram_cost += p.ram_cost;
    n.gpu_cost += p.gpu_cost;
    n.pv_cost += p.pv_cost;
    n.net_cost += p.net_cost;
    n.lb_cost += p.lb_cost;
    n.shared_cost += p.shared_cost;
    n.ext_cost += p.ext_cost;
  }
  n.cpu_req /= n.minutes;
  n.cpu_use /= n.minutes;
  n.ram_req /= n.minutes;
  n.ram_use /= n.minutes;
  return n;
}

}  // namespace

std::string demo_allocation_response(const DemoOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double window_minutes = (o.window_end - o.window_start) / 60.0;
  const std::string window = "\"window\":{\"start\":\"" + iso(o.window_start) + "\",\"end\":\"" +
                             iso(o.window_end) + "\"},\"start\":\"" + iso(o.window_start) +
                             "\",\"end\":\"" + iso(o.window_end) + "\",";
  const double hours = window_minutes / 60.0;
  std::vector<std::vector<DemoAlloc>> by_ns(std::max<std::size_t>(o.namespaces, 1));
  for (std::size_t i = 0; i < o.pods; ++i) {
    std::size_t n = (i * 7919 + static_cast<std::size_t>(u(rng) * 3)) % by_ns.size();
    char ns[64], pod[96];
    std::snprintf(ns, sizeof ns, "%s-%zu", k_ns_words[n % 10], n);
    std::snprintf(pod, sizeof pod, "%s-%zu-%06llx", k_ns_words[n % 10], i,
                  static_cast<unsigned long long>(rng() & 0xffffff));
    DemoAlloc a;
    a.ns = ns;
    a.pod = pod;
    a.name = o.pod_level ? std::string(ns) + "/" + pod : std::string(ns);
    a.team = k_teams[n % 6];
    a.app = std::string(k_ns_words[n % 10]) + "-api";
    a.minutes = u(rng) < 0.9 ? window_minutes : std::floor(window_minutes * u(rng)) + 1;
    const double h = a.minutes / 60.0;
    a.cpu_req = round5(0.05 + u(rng) * (i % 17 == 0 ? 8.0 : 1.0));
    a.cpu_use = round5(a.cpu_req * (0.05 + 0.9 * u(rng)));
    a.ram_req = std::round((64 + u(rng) * 4096) * 1048576.0);
    a.ram_use = std::round(a.ram_req * (0.2 + 0.7 * u(rng)));
    a.cpu_cost = round5(a.cpu_req * h * 0.031611);
    a.ram_cost = round5(a.ram_req / 1073741824.0 * h * 0.004237);
    a.gpu_cost = (i % 97 == 0) ? round5(h * 2.48) : 0;
    a.pv_cost = (i % 5 == 0) ? round5(h * 0.000137 * 10) : 0;
    a.net_cost = round5(u(rng) * 0.002 * h);
    a.lb_cost = (i % 23 == 0) ? round5(0.025 * h) : 0;
    a.shared_cost = 0;
    a.ext_cost = 0;
    a.null_eff = (i % 41 == 3);
    by_ns[n].push_back(std::move(a));
  }
  std::string out;
  out.reserve(o.pods * 1700 + 4096);
  out += "{\"code\":200,\"status\":\"success\",\"data\":[{";
  bool first = true;
  auto emit = [&](const DemoAlloc& a) {
    if (!first) out += ',';
    first = false;
    write_alloc(out, a, window);
  };
  for (std::size_t n = 0; n < by_ns.size(); ++n) {
    if (by_ns[n].empty()) continue;
    if (o.pod_level) {
      for (const auto& a : by_ns[n]) emit(a);
    } else {
      DemoAlloc merged = merge(by_ns[n], by_ns[n].front().ns);
      merged.null_eff = false;
      emit(merged);
    }
  }
  // An unmounted volume and the cluster's idle capacity.
  DemoAlloc unmounted{o.pod_level ? "__unmounted__/__unmounted__" : "__unmounted__",
                      "__unmounted__",
                      o.pod_level ? "__unmounted__" : "",
                      "",
                      "",
                      window_minutes,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      0,
                      round5(0.00137 * hours * 5),
                      0,
                      0,
                      0,
                      0,
                      false};
  emit(unmounted);
  DemoAlloc idle{"__idle__",
                 "",
                 "",
                 "",
                 "",
                 window_minutes,
                 0,
                 0,
                 0,
                 0,
                 round5(0.031611 * hours * (2.0 + o.pods / 50.0)),
                 round5(0.004237 * hours * (8.0 + o.pods / 10.0)),
                 0,
                 0,
                 0,
                 0,
                 0,
                 0,
                 false};
  emit(idle);
  out += "}]}";
  return out;
}

DemoSource::DemoSource(const AllocationQueryOptions& query, int pods)
    : m_pod_level(query.pod_metrics), m_pods(pods) {}

Expected<void> DemoSource::fetch(BodySink& sink) {
  const double now = Env::system().wall_unix_seconds();
  DemoOptions o;
  o.seed = 1 + (m_polls++ % 4);  // a little movement from poll to poll
  o.window_end = std::floor(now);
  o.window_start = o.window_end - 3600;
  o.pod_level = m_pod_level;
  o.pods = static_cast<std::size_t>(m_pods);
  o.namespaces = std::max<std::size_t>(1, o.pods / 10);
  const std::string body = demo_allocation_response(o);
  sink.begin();
  // In 64 KiB pieces, as an HTTP body arrives.
  constexpr std::size_t k_piece = 64 * 1024;
  for (std::size_t at = 0; at < body.size(); at += k_piece)
    if (!sink.write(std::string_view(body).substr(at, k_piece))) return sink_refused();
  return {};
}

}  // namespace kci

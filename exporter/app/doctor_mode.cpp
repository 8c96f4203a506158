#include "exporter/app/doctor_mode.hpp"

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "exporter/app/doctor_checks.hpp"
#include "exporter/app/doctor_remote_write.hpp"
#include "exporter/app/serve_options.hpp"
#include "exporter/http/http_client.hpp"
#include "exporter/kubecost/kubecost_query.hpp"
#include "exporter/kubecost/kubecost_source.hpp"
#include "exporter/util/env.hpp"

namespace kci {
namespace {

class StringSink : public BodySink {
 public:
  void begin() override { body.clear(); }
  bool write(std::string_view chunk) override {
    body.append(chunk);
    return true;
  }
  std::string body;
};

std::string_view flavour_name(Flavour f) {
  return f == Flavour::opencost ? "opencost" : f == Flavour::kubecost ? "kubecost" : "auto";
}

Verdict check_kubecost(const Config& config) {
  if (config.demo)
    return {VerdictStatus::skip, "kubecost", "demo=true: the built-in demo cluster is served"};
  KubecostSource source(config.kubecost, allocation_query_options(config));
  StringSink sink;
  auto fetched = source.fetch(sink);
  const double now = Env::system().wall_unix_seconds();
  if (!fetched.ok())
    return kubecost_verdict(config, flavour_name(source.flavour()), fetched.failure(), now);
  return kubecost_verdict(config, flavour_name(source.flavour()), summarize_allocations(sink.body),
                          now);
}

}  // namespace

int run_doctor(const Config& config) {
  std::vector<Verdict> verdicts;
  auto print = [&](Verdict v) {
    std::cout << format_verdict(v) << std::endl;
    verdicts.push_back(std::move(v));
  };
  print(check_kubecost(config));
  print(tenant_verdict(config));
  if (config.doctor.prometheus_url.empty()) {
    print({VerdictStatus::skip, "prometheus", "no --prometheus.url given"});
  } else {
    HttpEndpoint endpoint;
    endpoint.url = config.doctor.prometheus_url;
    endpoint.retries = 0;
    endpoint.connect_timeout = std::chrono::seconds(5);
    endpoint.request_timeout = std::chrono::seconds(20);
    endpoint.max_response_bytes = 16ULL << 20;
    HttpClient client(endpoint);
    PromQuery query = [&](const std::string& promql) -> Expected<std::vector<PromSample>> {
      auto r = client.get("/api/v1/query?query=" + url_encode(promql));
      if (!r.ok()) return r.failure();
      return parse_prometheus_vector(r.value().body);
    };
    print(prometheus_target_verdict(query, config.doctor.prometheus_job));
    print(prometheus_series_verdict(query, config.tenant_id));
    print(remote_write_verdict(query, config.doctor.remote_write_name));
    auto loaded = client.get("/api/v1/status/config");
    print(loaded.ok() ? remote_write_tenant_verdict(loaded.value().body, config.tenant_id,
                                                    config.doctor.remote_write_name)
                      : Verdict{VerdictStatus::fail, "remote_write tenant",
                                "could not read Prometheus' /api/v1/status/config: " +
                                    loaded.failure().message});
  }
  for (const auto& v : verdicts)
    if (v.status == VerdictStatus::fail) return k_doctor_failed;
  return k_doctor_ok;
}

}  // namespace kci

#pragma once
// doctor's check of Prometheus' running config against the tenant, apart from the network:
// the deployment guide's "the remote_write carries Cloud-Account-Id equal to the tenant" item.
#include <string>
#include <string_view>

#include "exporter/app/doctor_checks.hpp"

namespace kci {

// `body` is Prometheus' /api/v1/status/config answer ({"status":"success","data":{"yaml":
// "<the loaded configuration>"}}, https://prometheus.io/docs/prometheus/latest/querying/api/
// #config). Every remote_write that keeps cloudtuner_kubecost_namespace_total_cost (its
// write_relabel_configs' keep and drop actions on __name__ applied; an action on other labels
// is taken to keep it) must send a Cloud-Account-Id header equal to `tenant_id`.
// fail: a queue with another value or none, no remote_write at all, or none keeping our series,
// or a body that is not such an answer; warn: a value Prometheus shows as <secret>; ok: each
// queue named with the value it sends. With `remote_name` (--prometheus.remote-write-name), only
// the queue of that name is looked at (fail when there is none).
Verdict remote_write_tenant_verdict(std::string_view body, const std::string& tenant_id,
                                    const std::string& remote_name = "");

}  // namespace kci

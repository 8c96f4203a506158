#pragma once
// `allocation-exporter doctor`: the serve mode's config, checked against the running system.
// It asks Kubecost once (the serve mode's request), checks the tenant id and, with
// --prometheus.url, asks that Prometheus (HTTP API /api/v1/query) whether it scrapes the
// exporter, holds cloudtuner_kubecost_* series and remote_writes without failures. One verdict
// line per check on stdout (doctor_checks.hpp); logs stay on stderr.
#include "exporter/config/config.hpp"

namespace kci {

// Exit codes of doctor: 0 every check passed (WARN and skip lines included), 1 a check failed
// (FAIL line); a config error exits 2 before any check, as in every mode.
inline constexpr int k_doctor_ok = 0;
inline constexpr int k_doctor_failed = 1;

int run_doctor(const Config& config);

}  // namespace kci

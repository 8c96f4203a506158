#pragma once
// A coordination.k8s.io/v1 Lease as leader election reads and writes it: the fields client-go's
// resourcelock.LeaseLock maps to its LeaderElectionRecord (holderIdentity,
// leaseDurationSeconds, acquireTime, renewTime, leaseTransitions) and metadata.resourceVersion,
// the token of optimistic concurrency (an update naming a stale version is refused with 409).
// Parsing is strict: the API server is trusted for the lock only when its answer is a Lease.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "exporter/util/result.hpp"

namespace kci {

using SystemTime = std::chrono::system_clock::time_point;

struct LeaseRecord {
  std::string holder_identity;  // "" when released (client-go ReleaseOnCancel) or never held
  int lease_duration_seconds = 0;
  std::optional<SystemTime> acquire_time;
  std::optional<SystemTime> renew_time;
  std::int32_t lease_transitions = 0;
  std::string resource_version;  // metadata.resourceVersion; "" for a create

  bool operator==(const LeaseRecord&) const = default;
};

// The Lease `name` in `namespace_name` as JSON for POST (create, no resourceVersion) or PUT
// (update: the record's resourceVersion goes in metadata, so a stale one gets 409).
std::string lease_json(const LeaseRecord& record, std::string_view name,
                       std::string_view namespace_name);

// A Lease answer (GET, or the object POST/PUT return). Fails with reason parse and one line
// naming the field for anything else: not JSON, kind other than Lease, a field of the wrong
// type, a negative or absurd number, a control character, a missing resourceVersion, a time
// that is not RFC 3339.
Expected<LeaseRecord> parse_lease(std::string_view json);

// Kubernetes MicroTime: RFC 3339 with six fractional digits, UTC ("2026-12-01T12:00:00.123456Z").
std::string format_micro_time(SystemTime t);
// RFC 3339 with optional fraction and Z or +hh:mm; nullopt otherwise.
std::optional<SystemTime> parse_micro_time(std::string_view text);

}  // namespace kci

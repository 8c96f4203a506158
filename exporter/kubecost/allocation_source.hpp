#pragma once
// Where allocation answers come from: Kubecost/OpenCost over HTTP, or the built-in demo
// cluster. The poller sees only this interface, so tests inject their own answers.
#include <cstdint>

#include "exporter/http/http_client.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class AllocationSource {
 public:
  virtual ~AllocationSource() = default;
  // One Allocation API answer (2xx) or the failure that prevented it.
  virtual Expected<HttpResponse> fetch() = 0;
  // Thread-safe: aborts a fetch in flight; later fetches fail fast.
  virtual void cancel() {}
  // Extra attempts made so far (retries after timeouts, connection errors, 5xx); cumulative.
  virtual std::uint64_t retries_total() const { return 0; }
};

}  // namespace kci

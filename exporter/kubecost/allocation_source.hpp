#pragma once
// Where allocation answers come from: Kubecost/OpenCost over HTTP, or the built-in demo
// cluster. The poller sees only this interface, so tests inject their own answers.
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
};

}  // namespace kci

#pragma once
// Where allocation answers come from: Kubecost/OpenCost over HTTP, or the built-in demo
// cluster. The poller sees only this interface, so tests inject their own answers.
#include <cstdint>
#include <string_view>

#include "exporter/http/body_sink.hpp"
#include "exporter/util/result.hpp"

namespace kci {

class AllocationSource {
 public:
  virtual ~AllocationSource() = default;
  // One Allocation API answer, streamed into `sink` as it arrives (2xx only), or the failure
  // that prevented it. A failure for which is_sink_refused() is true means the
  // sink refused the bytes: its own failure is the one to report.
  virtual Expected<void> fetch(BodySink& sink) = 0;
  // The same window aggregated by one label (`aggregate=label:<key>`, with `cluster,` in front
  // under multiCluster), for the label cost families. Called after a successful fetch().
  // Sources without label answers fail with reason internal.
  virtual bool has_label_aggregation() const { return false; }
  virtual Expected<void> fetch_label(std::string_view label_key, BodySink& sink) {
    (void)label_key;
    (void)sink;
    return Failure{FailureReason::internal, "this source has no label aggregation"};
  }
  // Thread-safe: aborts a fetch in flight; later fetches fail fast.
  virtual void cancel() {}
  // Extra attempts made so far (retries after timeouts, connection errors, 5xx); cumulative.
  virtual std::uint64_t retries_total() const { return 0; }
};

}  // namespace kci

#pragma once
// The two stages of one poll (serve/poll.hpp runs them): the parse stage (SnapshotSink: the
// Allocation answer into a CostSnapshot as it arrives) and the render stage (render_poll_result:
// what serve mode publishes, i.e. the cost series text, its series count, the landing page's top
// namespaces).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exporter/kubecost/allocation_stream_sink.hpp"
#include "exporter/serve/cost_exposition.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/serve/label_costs.hpp"
#include "exporter/util/result.hpp"

namespace kci {

struct PollResult {
  std::shared_ptr<const CostExposition> costs;  // the cost families, compressed
  std::size_t series = 0;                       // samples in costs
  // At most 10 namespaces by total cost, in the unit the series use (per hour in rate mode).
  std::vector<std::pair<std::string, double>> top_namespaces;
  std::size_t allocations = 0;
  std::size_t namespaces = 0;
  double window_hours = 0;  // the span the whole answer's data covers (CostSnapshot)
  // multiCluster: idle allocations the answer did not split by cluster, left out of every
  // cluster, and their window total (CostSnapshot::unsplit_idle_dropped, _cost).
  std::size_t unsplit_idle_dropped = 0;
  double unsplit_idle_cost = 0;
};

// A window of at most one hour (`1h`, `30m`): an answer of only `null` sets for it is
// FailureReason::no_data_yet (the hour has not been built yet), not `empty`.
bool is_short_window(const WindowSpec& window);

// The parse stage as the answer arrives: every chunk goes through the stream parser into the
// snapshot builder, so nothing holds the answer. begin() starts over (a retry). `options` must
// outlive the sink. As soon as the namespaces with a cost outnumber options.max_series (each
// publishes at least one series) the sink refuses the rest of the answer and finish() fails
// with FailureReason::too_many_series: a huge answer is not read, let alone rendered, whole.
class SnapshotSink : public AllocationStreamSink {
 public:
  SnapshotSink(const CostSeriesOptions& options, double now);
  void begin() override;
  bool write(std::string_view chunk) override;
  // The snapshot, or the failure of the answer (the stream's, also when write() refused).
  Expected<CostSnapshot> finish();
  double parse_seconds() const { return m_parse_seconds; }  // time spent in write/finish

 private:
  const CostSeriesOptions& m_options;
  double m_now;
  std::optional<SnapshotBuilder> m_builder;
  std::optional<Failure> m_too_many;  // set when write() refused for maxSeries
  double m_parse_seconds = 0;
};

// The failure of a poll that would publish `series` series (`at_least`: a lower bound, counted
// while the answer arrived), more than options.max_series: one line naming both and maxSeries.
Failure too_many_series(std::size_t series, bool at_least, const CostSeriesOptions& options);

// The parse stage: `body` parsed into the snapshot at Unix time `now`. `body` is released as
// soon as it is parsed (padding added when it lacks it).
Expected<CostSnapshot> build_snapshot(std::string body, const CostSeriesOptions& options,
                                      double now);

// The render stage: the cost series (rendered straight into the compressor), their count and top
// namespaces of a snapshot, and the label cost families of `label_rows` (the labelKeys answers of
// the same poll).
PollResult render_poll_result(const CostSnapshot& snapshot, const CostSeriesOptions& options,
                              const std::vector<LabelCostRow>& label_rows = {});

}  // namespace kci

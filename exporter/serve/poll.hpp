#pragma once
// One poll, written once: the Allocation answer streamed from a source into the snapshot, one
// label answer per label key for the label cost families, then the render. The poller runs it
// against Kubecost; the golden test, the fuzzer and the benchmark run the very same function
// against answers in memory (kubecost/answer_source.hpp).
#include <optional>

#include "exporter/kubecost/allocation_source.hpp"
#include "exporter/serve/cost_series_options.hpp"
#include "exporter/serve/poll_result.hpp"
#include "exporter/util/result.hpp"

namespace kci {

// Seconds spent in each stage of one poll.
struct PollStages {
  double fetch = 0;   // waiting for and reading the answers, less the parse time
  double parse = 0;   // parsing the allocation answer as it arrived
  double render = 0;  // the cost and label families into the compressor
};

// One poll at Unix time `now` (the time the snapshot is stamped with). Fails with the first
// failure: the allocation fetch or its parse, then any label answer (a failed label answer fails
// the poll, so what is published always comes from one poll). `stages` is filled either way.
// A poll that would publish more than options.max_series series (maxSeries) fails with
// FailureReason::too_many_series and one line naming the count and the setting: while the
// answer arrives, on a lower bound (SnapshotSink: the rest of the answer is not read); then
// exactly, on the snapshot (exposition count_costs), before any label answer is asked for and
// before any text is rendered; the label families are counted after the render.
Expected<PollResult> run_poll(AllocationSource& source, const CostSeriesOptions& options,
                              double now, PollStages& stages);

}  // namespace kci

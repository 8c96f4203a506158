// maxSeries (issue 21 item D): count_costs counts what render_costs writes without building
// text, and run_poll refuses a poll over the bound with its own failure reason, before any
// label answer is asked for.
#include <dirent.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "exporter/kubecost/answer_source.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/serve/poll_result.hpp"
#include "test_support.hpp"

using namespace kci;

namespace {

// Counts the label answers asked for.
class CountingSource : public AnswerSource {
 public:
  using AnswerSource::AnswerSource;
  int label_fetches = 0;
  Expected<void> fetch_label(std::string_view key, BodySink& sink) override {
    ++label_fetches;
    return AnswerSource::fetch_label(key, sink);
  }
};

const char* k_three = R"({"data":[{
  "a":{"properties":{"namespace":"a","namespaceLabels":{"team":"x"}},"cpuCost":1,"totalCost":2},
  "b":{"properties":{"namespace":"b","namespaceLabels":{"team":"y"}},"cpuCost":1,"totalCost":3},
  "c":{"properties":{"namespace":"c","namespaceLabels":{"team":"y"}},"totalCost":4}}]})";

const char* k_team_answer = R"({"data":[{
  "team=x":{"totalCost":2},"team=y":{"totalCost":7}}]})";

std::size_t series_of_poll(AllocationSource& source, const CostSeriesOptions& options) {
  PollStages stages;
  auto r = run_poll(source, options, 2e9, stages);
  REQUIRE(r.ok());
  return r.value().series;
}

}  // namespace

TEST_CASE("max series: count_costs is the number of series render_costs writes, on every fixture") {
  const std::string dir = std::string(KCI_FIXTURES_DIR) + "/kubecost";
  DIR* d = opendir(dir.c_str());
  REQUIRE(d);
  std::vector<std::string> names;
  while (auto* e = readdir(d))
    if (std::string(e->d_name).ends_with(".json")) names.emplace_back(e->d_name);
  closedir(d);
  REQUIRE(names.size() >= 3);
  int compared = 0;
  for (const auto& name : names) {
    for (int variant = 0; variant < 4; ++variant) {
      CostSeriesOptions options;
      options.pod_metrics = variant & 1;
      options.multi_cluster = variant & 2;
      options.top_n_pods = 3;
      options.label_keys = {"team", "app"};
      auto snap = build_snapshot(kci::test::read_file(dir + "/" + name), options, 2e9);
      if (!snap.ok()) continue;
      INFO(name << " variant " << variant);
      std::size_t rendered = 0;
      render_costs(snap.value(), options, rendered);
      CHECK(count_costs(snap.value(), options) == rendered);
      ++compared;
    }
  }
  CHECK(compared >= 8);
}

TEST_CASE(
    "max series: a poll over maxSeries fails with too_many_series, naming the count and the "
    "setting, before any label answer is asked for") {
  CostSeriesOptions options;
  options.label_keys = {"team"};
  CountingSource unbounded(k_three);
  unbounded.set_label_answer("team", k_team_answer);
  const std::size_t all = series_of_poll(unbounded, options);
  PollStages stages;
  auto snap = build_snapshot(k_three, options, 2e9);
  REQUIRE(snap.ok());
  const std::size_t costs = count_costs(snap.value(), options);
  REQUIRE(costs < all);  // the label family adds series

  SECTION("the cost series alone are over the bound: refused before the label answers") {
    options.max_series = costs - 1;
    CountingSource source(k_three);
    source.set_label_answer("team", k_team_answer);
    auto r = run_poll(source, options, 2e9, stages);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::too_many_series);
    CHECK(r.failure().message ==
          "the answer would publish " + std::to_string(costs) +
              " series, more than maxSeries=" + std::to_string(costs - 1) +
              ": nothing of this poll is published; the last good series stay until maxStaleness");
    CHECK(source.label_fetches == 0);
  }
  SECTION("the label families take it over the bound") {
    options.max_series = all - 1;
    CountingSource source(k_three);
    source.set_label_answer("team", k_team_answer);
    auto r = run_poll(source, options, 2e9, stages);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure().reason == FailureReason::too_many_series);
    CHECK(r.failure().message.starts_with(
        "the answer would publish " + std::to_string(all) +
        " series, more than maxSeries=" + std::to_string(all - 1) + ": "));
  }
  SECTION("exactly the bound passes") {
    options.max_series = all;
    CountingSource source(k_three);
    source.set_label_answer("team", k_team_answer);
    CHECK(series_of_poll(source, options) == all);
  }
  CHECK(to_string(FailureReason::too_many_series) == "too_many_series");
}

TEST_CASE("max series: namespaces with a cost over maxSeries stop the answer as it arrives") {
  CostSeriesOptions options;
  options.max_series = 1;
  // A window of whitespace after the second namespace: the stream reads the answer a window at
  // a time, and the window that shows the second namespace with a cost stops it there.
  const std::string answer = k_three;
  const std::size_t c = answer.find("\"c\":");
  const std::string padded =
      answer.substr(0, c) + std::string(k_default_window_bytes, ' ') + answer.substr(c);
  const std::string cut = padded.substr(0, c + k_default_window_bytes);
  SnapshotSink sink(options, 2e9);
  sink.begin();
  bool accepted = true;
  for (std::size_t at = 0; at < cut.size(); at += 4096)
    accepted = accepted && sink.write(std::string_view(cut).substr(at, 4096));
  CHECK_FALSE(accepted);  // refused once the second namespace with a cost was read
  CHECK_FALSE(sink.write(padded.substr(cut.size())));
  auto snap = sink.finish();
  REQUIRE_FALSE(snap.ok());
  CHECK(snap.failure().reason == FailureReason::too_many_series);
  CHECK(snap.failure().message ==
        "the answer would publish at least 2 series, more than maxSeries=1: nothing of this "
        "poll is published; the last good series stay until maxStaleness");
  // The whole poll reports the same (the answer fed in pieces, as it may arrive).
  AnswerSource source(padded, 4096);
  PollStages stages;
  auto r = run_poll(source, options, 2e9, stages);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure().message.starts_with("the answer would publish at least 2 series"));
  // An answer smaller than a window is read whole first: refused with the exact count.
  AnswerSource small(k_three, 1);
  auto exact = run_poll(small, options, 2e9, stages);
  REQUIRE_FALSE(exact.ok());
  CHECK(exact.failure().reason == FailureReason::too_many_series);
  CHECK(exact.failure().message.starts_with("the answer would publish 16 series"));
}

// allocation-exporter-bench: the poll path at 100 .. 100 000 pods, next to its limits
// (simdjson's own parse of the same bytes; memcpy of the same exposition bytes).
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <cstring>
#include <map>

#include "exporter/kubecost/answer_source.hpp"
#include "exporter/kubecost/demo_cluster.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/serve/poll_result.hpp"
#include "exporter/util/padded_buffer.hpp"
#include "support/gzip_compress.hpp"

using namespace kci;

namespace {

const std::string& response_for(std::size_t pods) {
  static std::map<std::size_t, std::string> cache;
  auto it = cache.find(pods);
  if (it == cache.end()) {
    DemoOptions o;
    o.pods = pods;
    o.namespaces = std::max<std::size_t>(1, pods / 10);
    std::string body = demo_allocation_response(o);
    std::string padded;
    padded.reserve(body.size() + k_body_padding);
    padded = body;
    it = cache.emplace(pods, std::move(padded)).first;
  }
  return it->second;
}

CostSeriesOptions bench_options() {
  CostSeriesOptions c;
  c.pod_metrics = true;
  c.top_n_pods = 50;
  c.label_keys = {"team"};
  return c;
}

CostSnapshot snapshot(const std::string& body, const CostSeriesOptions& options) {
  auto s = build_snapshot(body, options, 2e9);
  if (!s.ok()) std::abort();
  return std::move(s.value());
}

void BM_RawSimdjsonDom(benchmark::State& state) {
  const std::string& body = response_for(static_cast<std::size_t>(state.range(0)));
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element doc;
    if (parser.parse(body.data(), body.size(), false).get(doc)) std::abort();
    benchmark::DoNotOptimize(doc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void BM_ParseAndSnapshot(benchmark::State& state) {
  const std::string& body = response_for(static_cast<std::size_t>(state.range(0)));
  CostSeriesOptions options = bench_options();
  for (auto _ : state) {
    CostSnapshot s = snapshot(body, options);
    benchmark::DoNotOptimize(s.cluster);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["response_MB"] = body.size() / 1e6;
}

void BM_RenderCosts(benchmark::State& state) {
  CostSeriesOptions options = bench_options();
  // Render every pod, not only the top 50, so the figure is per series at scale.
  options.top_n_pods = 10000;
  CostSnapshot s = snapshot(response_for(static_cast<std::size_t>(state.range(0))), options);
  std::size_t series = 0, bytes = 0;
  for (auto _ : state) {
    series = 0;
    std::string text = render_costs(s, options, series);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["series"] = static_cast<double>(series);
  state.counters["ns_per_series"] = benchmark::Counter(
      static_cast<double>(series),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_series"] = static_cast<double>(bytes) / series;
  std::size_t again = 0;
  std::string gz = kci::test::gzip_compress(render_costs(s, options, again));
  state.counters["gzip_bytes_per_series"] = static_cast<double>(gz.size()) / again;
}

void BM_Gzip(benchmark::State& state) {
  CostSeriesOptions options = bench_options();
  options.top_n_pods = 10000;
  CostSnapshot s = snapshot(response_for(static_cast<std::size_t>(state.range(0))), options);
  std::size_t series = 0;
  std::string text = render_costs(s, options, series);
  for (auto _ : state) benchmark::DoNotOptimize(kci::test::gzip_compress(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_MemcpyExposition(benchmark::State& state) {
  CostSeriesOptions options = bench_options();
  options.top_n_pods = 10000;
  CostSnapshot s = snapshot(response_for(static_cast<std::size_t>(state.range(0))), options);
  std::size_t series = 0;
  std::string text = render_costs(s, options, series);
  std::string dst(text.size(), '\0');
  for (auto _ : state) {
    std::memcpy(dst.data(), text.data(), text.size());
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

// The whole poll as the exporter does it (parse, snapshot, render), for the Python comparison.
void BM_FullPoll(benchmark::State& state) {
  const std::string& body = response_for(static_cast<std::size_t>(state.range(0)));
  CostSeriesOptions options = bench_options();
  for (auto _ : state) {
    AnswerSource source(body);
    PollStages stages;
    auto r = run_poll(source, options, 2e9, stages);
    if (!r.ok()) std::abort();
    benchmark::DoNotOptimize(r.value().costs->deflated().blocks.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

}  // namespace

BENCHMARK(BM_FullPoll)->Arg(100)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

BENCHMARK(BM_RawSimdjsonDom)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndSnapshot)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderCosts)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Gzip)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyExposition)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);
// `allocation-exporter-bench --dump-response PODS FILE` writes the synthetic answer used for PODS
// (for the Python reference and the memory runs); anything else runs the benchmarks.
int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--dump-response") {
    std::FILE* f = std::fopen(argv[3], "wb");
    if (!f) return 1;
    const std::string& body = response_for(std::stoul(argv[2]));
    std::fwrite(body.data(), 1, body.size(), f);
    std::fclose(f);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// poll-limit-bench: one serve poll in-process next to the limit on the same gzip bytes, for
// tests/bench/poll_limit.py (which writes tests/bench/LIMIT.md). Key=value lines on stdout.
//
//   poll-limit-bench poll FILE.gz RUNS    our poll in-process: the gzip answer inflated by
//                                         GzipInflater in 128 KiB pieces (as the HTTP client
//                                         gathers them), streamed into the snapshot, rendered;
//                                         pod metrics on, top 50 pods (as serve_curve.py runs
//                                         the binary). Fastest of RUNS after one warm-up.
//   poll-limit-bench limit FILE.gz RUNS   the limit: ISA-L inflate of the whole body into one
//                                         buffer + one simdjson DOM parse, each the fastest of
//                                         RUNS (simdjson On-Demand: poll_limit_ondemand.cpp).
//   poll-limit-bench numbers FILE.gz RUNS the numbers the serve path reads (every value of the
//                                         keys below), alone as one JSON array: converted by
//                                         simdjson's DOM and by our JsonCursor, each with its
//                                         stage 1, ns per number (fastest of RUNS).
//   poll-limit-bench keys                 the allocation fields the serve path reads as numbers
//                                         (AllocationDecoder: the first k_serve_fields keys and
//                                         the adjustments), comma-separated, for On-Demand.
//
// Under valgrind --tool=callgrind, --toggle-collect=kci_bench_poll_once (or
// kci_bench_limit_once) counts the instructions of one poll (one inflate + DOM parse) after the
// warm-up; RUNS is then 1.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "bench/gzip_answer_file.hpp"
#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/kubecost/allocation_source.hpp"
#include "exporter/kubecost/json_cursor.hpp"
#include "exporter/kubecost/json_window.hpp"
#include "exporter/serve/poll.hpp"
#include "exporter/util/deflate_stream.hpp"

using namespace kci;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The gzip answer, inflated as the HTTP client inflates a body: 128 KiB of compressed bytes per
// GzipInflater::write (http_client.cpp k_inflate_input), straight into the sink's room.
class GzipAnswerSource : public AllocationSource {
 public:
  explicit GzipAnswerSource(std::string_view gz) : m_gz(gz) {}
  Expected<void> fetch(BodySink& sink) override {
    sink.begin();
    GzipInflater inflater;
    const auto deliver = [&sink](std::string_view piece) { return sink.write(piece); };
    const auto room = [&sink] { return sink.room(); };
    constexpr std::size_t k_piece = 128 * 1024;
    for (std::size_t at = 0; at < m_gz.size(); at += k_piece)
      if (!inflater.write(m_gz.substr(at, k_piece), deliver, room))
        return inflater.error().empty() ? sink_refused()
                                        : Failure{FailureReason::parse, inflater.error()};
    if (!inflater.complete()) return Failure{FailureReason::parse, "gzip answer cut short"};
    return {};
  }

 private:
  std::string_view m_gz;
};

CostSeriesOptions poll_options() {
  CostSeriesOptions o;
  o.pod_metrics = true;
  o.top_n_pods = 50;
  return o;
}

bool poll(std::string_view gz) {
  GzipAnswerSource source(gz);
  PollStages stages;
  const auto r = run_poll(source, poll_options(), 2e9, stages);
  if (!r.ok()) std::fprintf(stderr, "poll failed: %s\n", r.failure().message.c_str());
  return r.ok();
}

// The limit's buffers: the text, with simdjson's padding after it, and a DOM parser sized for it.
struct Limit {
  explicit Limit(std::string_view gz_in)
      : gz(gz_in),
        size(bench::gzip_text_size(gz_in)),
        text(bench::text_buffer(gz_in, simdjson::SIMDJSON_PADDING)) {
    if (parser.allocate(size)) size = 0;
  }
  bool inflate() { return bench::inflate_whole(gz, text.get()); }
  bool parse() {
    simdjson::dom::element doc;
    return !parser.parse(text.get(), size, false).get(doc) && doc.is_object();
  }

  std::string_view gz;
  std::size_t size;
  std::unique_ptr<char[]> text;
  simdjson::dom::parser parser;
};

bool is_serve_number(std::size_t field) {
  return field <= static_cast<std::size_t>(AllocField::ram_byte_usage_average) ||
         alloc_field_keys()[field].ends_with("CostAdjustment");
}

// Every value of a key the serve path reads as a number, as one JSON array ("[v1,v2,...]").
std::string serve_numbers(std::string_view text, std::size_t& count) {
  std::string out = "[";
  count = 0;
  for (std::size_t f = 0; f < k_alloc_field_count; ++f) {
    if (!is_serve_number(f)) continue;
    const std::string key = "\"" + std::string(alloc_field_keys()[f]) + "\":";
    for (auto at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
      const std::size_t from = at + key.size();
      const std::size_t to = text.find_first_of(",}", from);
      const std::string_view value = text.substr(from, to - from);
      if (value.empty() || (value[0] != '-' && (value[0] < '0' || value[0] > '9'))) continue;
      if (count++) out += ',';
      out += value;
    }
  }
  return out + "]";
}

int numbers(std::string_view gz, int runs) {
  Limit limit(gz);
  if (limit.size == 0 || !limit.inflate()) return 1;
  std::size_t count = 0;
  const std::string array = serve_numbers(std::string_view(limit.text.get(), limit.size), count);
  const simdjson::padded_string padded(array);
  const double inf = std::numeric_limits<double>::infinity();
  double dom_ms = inf, ours_ms = inf, dom_sum = 0, our_sum = 0;
  simdjson::dom::parser parser;
  JsonWindow window(0, array.size());
  JsonCursor cursor;
  for (int run = 0; run < runs; ++run) {
    auto t0 = Clock::now();
    simdjson::dom::array values;
    if (parser.parse(padded).get_array().get(values)) return 1;
    double sum = 0;
    for (auto value : values) {
      double v = 0;
      if (value.get_double().get(v)) return 1;
      sum += v;
    }
    dom_ms = std::min(dom_ms, ms_since(t0));
    dom_sum = sum;

    window.clear();
    t0 = Clock::now();
    if (window.append(array) != array.size() || window.index(true)) return 1;
    cursor.reset(window);
    sum = 0;
    for (std::uint32_t i = 1; cursor.at(i - 1) != ']'; ++i) {  // after '[': a number, ',' or ']'
      double v = 0;
      if (cursor.number(i, v)) return 1;
      sum += v;
    }
    ours_ms = std::min(ours_ms, ms_since(t0));
    our_sum = sum;
  }
  if (dom_sum != our_sum) {
    std::fprintf(stderr, "the sums differ: %.17g (simdjson) against %.17g\n", dom_sum, our_sum);
    return 1;
  }
  std::printf("numbers=%zu dom_ns_per_number=%.2f ours_ns_per_number=%.2f runs=%d\n", count,
              dom_ms * 1e6 / static_cast<double>(count), ours_ms * 1e6 / static_cast<double>(count),
              runs);
  return 0;
}

}  // namespace

// The functions callgrind's --toggle-collect names: what they run is what is counted.
extern "C" __attribute__((noinline)) int kci_bench_poll_once(const char* gz, std::size_t n) {
  return poll(std::string_view(gz, n)) ? 0 : 1;
}
extern "C" __attribute__((noinline)) int kci_bench_limit_once(Limit* limit) {
  return limit->inflate() && limit->parse() ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "keys") == 0) {
    const char* sep = "";
    for (std::size_t i = 0; i < k_alloc_field_count; ++i) {
      const std::string_view key = alloc_field_keys()[i];
      if (is_serve_number(i)) {
        std::printf("%s%.*s", sep, static_cast<int>(key.size()), key.data());
        sep = ",";
      }
    }
    std::printf("\n");
    return 0;
  }
  if (argc != 4 || (std::strcmp(argv[1], "poll") != 0 && std::strcmp(argv[1], "limit") != 0 &&
                    std::strcmp(argv[1], "numbers") != 0)) {
    std::fprintf(stderr, "usage: poll-limit-bench poll|limit|numbers FILE.gz RUNS | keys\n");
    return 2;
  }
  const std::string gz = bench::read_file(argv[2]);
  const int runs = std::max(1, std::atoi(argv[3]));
  if (gz.empty()) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  const double inf = std::numeric_limits<double>::infinity();
  if (std::strcmp(argv[1], "numbers") == 0) return numbers(gz, runs);

  if (std::strcmp(argv[1], "poll") == 0) {
    if (!poll(gz)) return 1;  // warm-up
    double best = inf;
    for (int i = 0; i < runs; ++i) {
      const auto t0 = Clock::now();
      if (kci_bench_poll_once(gz.data(), gz.size()) != 0) return 1;
      best = std::min(best, ms_since(t0));
    }
    std::printf("poll_ms=%.3f runs=%d gzip_bytes=%zu\n", best, runs, gz.size());
    return 0;
  }

  Limit limit(gz);
  if (limit.size == 0 || !limit.inflate() || !limit.parse()) {  // warm-up
    std::fprintf(stderr, "the limit's inflate or parse failed\n");
    return 1;
  }
  if (runs == 1) {  // the callgrind run (valgrind's CPU has no AVX-512: the kernel may differ)
    std::printf("dom_kernel=%s\n", simdjson::get_active_implementation()->name().c_str());
    return kci_bench_limit_once(&limit);
  }
  double inflate_ms = inf, dom_ms = inf;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    if (!limit.inflate()) return 1;
    inflate_ms = std::min(inflate_ms, ms_since(t0));
    t0 = Clock::now();
    if (!limit.parse()) return 1;
    dom_ms = std::min(dom_ms, ms_since(t0));
  }
  std::printf("text_bytes=%zu inflate_ms=%.3f dom_ms=%.3f limit_ms=%.3f dom_kernel=%s\n",
              limit.size, inflate_ms, dom_ms, inflate_ms + dom_ms,
              simdjson::get_active_implementation()->name().c_str());
  return 0;
}

// libFuzzer target: any bytes as a Kubecost answer through the one poll function
// (parse -> snapshot -> render), with three oracles: the exposition's shape; the stream split at
// fuzzer-chosen chunk sizes agreeing with the whole-body parse; and, for any body simdjson's DOM
// accepts, the allocations read as simdjson reads them (names, namespaces, every number read,
// bit for bit).
#include <simdjson.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/kubecost/allocation_stream.hpp"
#include "exporter/kubecost/answer_source.hpp"
#include "exporter/serve/poll.hpp"

namespace {

// Allocations seen and the failure reason (or -1) when the answer comes in `chunk`-byte pieces,
// read in windows of `window` new bytes.
// What one allocation means, as the oracle compares it.
struct Seen {
  std::string name, ns;
  std::uint64_t total_bits, cpu_bits;  // bit patterns (NaN: absent or not a number)
  bool operator==(const Seen&) const = default;
};

constexpr std::uint64_t k_nan_bits = 0x7ff8000000000000;  // one pattern for every NaN

std::uint64_t bits(double d) { return d == d ? std::bit_cast<std::uint64_t>(d) : k_nan_bits; }

std::pair<std::size_t, int> stream_in_chunks(std::string_view body, std::size_t chunk,
                                             std::size_t window,
                                             std::vector<Seen>* allocations = nullptr) {
  static const kci::ParseOptions options{{"team"}, {}, false};
  std::size_t seen = 0;
  kci::AllocationVisitor visit = [&](const kci::ParsedAllocation& a) {
    ++seen;
    if (allocations)
      allocations->push_back({std::string(a.name), std::string(a.namespace_name),
                              bits(a.get(kci::AllocField::total_cost)),
                              bits(a.get(kci::AllocField::cpu_cost))});
  };
  kci::AllocationStream stream(options, visit, kci::k_default_max_allocation_bytes, window);
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    auto fed = stream.feed(body.substr(at, chunk));
    if (!fed.ok()) return {seen, static_cast<int>(fed.failure().reason)};
  }
  auto done = stream.finish();
  return {seen, done.ok() ? -1 : static_cast<int>(done.failure().reason)};
}

// The same allocations read through simdjson's DOM: every set of `data` (an array of sets, or
// one set), every member that is an object; its totalCost and cpuCost when they are numbers, its
// properties.namespace when it is a string. The last occurrence of a repeated key wins, as in
// the stream.
std::vector<Seen> read_by_dom(simdjson::dom::element doc) {
  std::vector<Seen> out;
  const auto read_set = [&](simdjson::dom::element set) {
    simdjson::dom::object members;
    if (set.get_object().get(members)) return;
    for (auto [name, value] : members) {
      simdjson::dom::object alloc;
      if (value.get_object().get(alloc)) continue;
      Seen seen{std::string(name), "", bits(NAN), bits(NAN)};
      for (auto [key, v] : alloc) {
        double d;
        if (key == "totalCost" && !v.get_double().get(d)) seen.total_bits = bits(d);
        if (key == "cpuCost" && !v.get_double().get(d)) seen.cpu_bits = bits(d);
        simdjson::dom::object properties;
        if (key == "properties" && !v.get_object().get(properties))
          for (auto [pkey, pv] : properties) {
            std::string_view ns;
            if (pkey == "namespace" && !pv.get_string().get(ns)) seen.ns = ns;
          }
      }
      out.push_back(std::move(seen));
    }
  };
  simdjson::dom::object root;
  if (doc.get_object().get(root)) return out;
  for (auto [key, data] : root) {
    if (key != "data") continue;
    simdjson::dom::array sets;
    if (!data.get_array().get(sets)) {
      for (auto set : sets) read_set(set);
    } else {
      read_set(data);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kci::CostSeriesOptions options = [] {
    kci::CostSeriesOptions c;
    c.pod_metrics = true;
    c.top_n_pods = 3;
    c.label_keys = {"team"};
    return c;
  }();
  if (size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  // The poll as the poller runs it, the answer arriving in the fuzzer's chunks.
  kci::AnswerSource source(body, chunk);
  kci::PollStages stages;
  auto r = kci::run_poll(source, options, 1.7e9, stages);
  if (r.ok()) {
    const std::string_view text = r.value().costs->text();
    // Every line of the exposition is a comment or `name{...} value`: no raw newline leaks.
    for (std::size_t p = 0, nl; p < text.size(); p = nl + 1) {
      nl = text.find('\n', p);
      if (nl == std::string::npos) __builtin_trap();
      if (text[p] != '#' && text.find(' ', p) > nl) __builtin_trap();
    }
  }
  // However the bytes arrive, and whatever windows cut them, the answer means the same (the
  // allocations a failed answer showed before failing may differ: callers keep none of them).
  const auto whole = stream_in_chunks(body, body.size() + 1, kci::k_default_window_bytes);
  const auto split = stream_in_chunks(body, chunk, chunk);
  if (whole.second != split.second || (whole.second == -1 && whole.first != split.first))
    __builtin_trap();
  if ((whole.second == -1) != r.ok()) __builtin_trap();

  // An answer simdjson accepts (an object with `data`, no byte-order mark) is never refused as
  // malformed, and reads as simdjson reads it. Keys are compared as written, where simdjson
  // unescapes them: bodies with a backslash are only checked for the first.
  static simdjson::dom::parser dom;
  simdjson::dom::element doc;
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '{' &&
      !dom.parse(body.data(), body.size()).get(doc) && doc["data"].error() == simdjson::SUCCESS) {
    std::vector<Seen> ours;
    const auto read = stream_in_chunks(body, body.size() + 1, kci::k_default_window_bytes, &ours);
    if (read.second == static_cast<int>(kci::FailureReason::parse)) __builtin_trap();
    if (read.second == -1 && body.find('\\') == std::string_view::npos && ours != read_by_dom(doc))
      __builtin_trap();
  }
  return 0;
}

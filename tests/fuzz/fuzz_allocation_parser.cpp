// libFuzzer target: any bytes as a Kubecost answer through parse -> snapshot -> render.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/kubecost/allocation_parser.hpp"
#include "exporter/serve/cost_snapshot.hpp"
#include "exporter/serve/exposition.hpp"
#include "exporter/http/http_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kci::Config config = [] {
    kci::Config c;
    c.enable_pod_metrics = true;
    c.top_n_pods = 3;
    c.label_keys = {"team"};
    return c;
  }();
  std::string body;
  body.reserve(size + kci::k_body_padding);
  body.assign(reinterpret_cast<const char*>(data), size);
  kci::SnapshotBuilder builder(config, 1.7e9);
  kci::ParseOptions options{{"team"}};
  auto r = kci::parse_allocations(body, body.capacity(), options,
                                  [&](const kci::ParsedAllocation& a) { builder.add(a); });
  if (r.ok()) {
    kci::CostSnapshot snap = std::move(builder).finish();
    std::size_t series = 0;
    std::string text = kci::render_costs(snap, config, series);
    // Every line of the exposition is a comment or `name{...} value`: no raw newline leaks.
    for (std::size_t p = 0, nl; p < text.size(); p = nl + 1) {
      nl = text.find('\n', p);
      if (nl == std::string::npos) __builtin_trap();
      if (text[p] != '#' && text.find(' ', p) > nl) __builtin_trap();
    }
  }
  return 0;
}

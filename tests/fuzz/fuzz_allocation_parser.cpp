// libFuzzer target: any bytes as a Kubecost answer through the one poll function
// (parse -> snapshot -> render), with an exposition-shape oracle.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/serve/poll_result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static kci::Config config = [] {
    kci::Config c;
    c.enable_pod_metrics = true;
    c.top_n_pods = 3;
    c.label_keys = {"team"};
    return c;
  }();
  auto r = kci::build_poll_result_from(
      std::string_view(reinterpret_cast<const char*>(data), size), config, 1.7e9);
  if (r.ok()) {
    const std::string& text = *r.value().cost_text;
    // Every line of the exposition is a comment or `name{...} value`: no raw newline leaks.
    for (std::size_t p = 0, nl; p < text.size(); p = nl + 1) {
      nl = text.find('\n', p);
      if (nl == std::string::npos) __builtin_trap();
      if (text[p] != '#' && text.find(' ', p) > nl) __builtin_trap();
    }
  }
  return 0;
}

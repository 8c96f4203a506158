// libFuzzer target: any bytes as an Assets API answer. It must return facts or a failure
// (never crash, hang or read out of bounds), and every fact it returns belongs to a Node.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/kubecost/assets_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto r = kci::parse_node_assets(body);
  if (r.ok()) {
    for (const auto& [key, facts] : r.value())
      if (key.second.empty()) __builtin_trap();  // a node without a name was kept
  } else if (r.failure().message.empty()) {
    __builtin_trap();  // every failure says why
  }
  return 0;
}

#pragma once
// The SIMD kernel simdjson chose at run time for this CPU (haswell, westmere, arm64, fallback):
// logged at start-up, since the default build targets baseline x86-64 / aarch64.
#include <string>

namespace kci {

std::string json_kernel();

}  // namespace kci

#include "exporter/kubecost/json_kernel.hpp"

#include <simdjson.h>

namespace kci {

std::string json_kernel() {
  // get_active_implementation() is an atomic pointer that resolves the best kernel on first use.
  const simdjson::implementation* active = simdjson::get_active_implementation();
  return active ? active->name() : "unknown";
}

}  // namespace kci

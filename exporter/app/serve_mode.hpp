#pragma once
#include "exporter/config/config.hpp"

namespace kci {
// Runs the exporter until SIGTERM/SIGINT. Returns the process exit code.
int run_serve(const Config& config);
}  // namespace kci

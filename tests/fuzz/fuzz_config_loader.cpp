// libFuzzer target: any bytes as a --config.file YAML. Only ConfigError may come out.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/config/config.hpp"
#include "exporter/config/config_file.hpp"
#include "exporter/util/result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kci::Config config;
  try {
    kci::apply_yaml_text(config, std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)kci::describe_config(config);
  } catch (const kci::ConfigError&) {
  }
  return 0;
}

// libFuzzer target: any bytes as a --web.config.file. Only ConfigError may come out; files it
// names are looked up under a directory that does not exist, so nothing outside is read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "exporter/config/web_config.hpp"
#include "exporter/util/result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)kci::parse_web_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz",
                                "/nonexistent-kci-fuzz");
  } catch (const kci::ConfigError&) {
  }
  return 0;
}

#pragma once
// Helpers shared by the unit tests.
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "exporter/config/environment.hpp"

namespace kci::test {

// An environment of exactly `vars`.
inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A Kubecost/OpenCost answer from tests/fixtures/kubecost/.
inline std::string sample(const std::string& name) {
  return read_file(std::string(KCI_FIXTURES_DIR) + "/kubecost/" + name);
}

// Parses exposition text into "name{labels}" -> value (comments skipped).
inline std::map<std::string, double> series_of(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

}  // namespace kci::test

#pragma once
// Peak resident memory of this process, for the test tools that report or bound it.
#include <fstream>
#include <string>

namespace kci::test {

// VmHWM from /proc/self/status in KiB; -1 when unavailable.
inline long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace kci::test

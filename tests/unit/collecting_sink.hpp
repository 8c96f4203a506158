#pragma once
// A BodySink that keeps what it is given, and counts attempts and chunks.
#include <string>
#include <string_view>

#include "exporter/http/body_sink.hpp"

namespace kci::test {

struct CollectingSink : BodySink {
  std::string body;
  int attempts = 0;
  int chunks = 0;
  std::size_t refuse_after = static_cast<std::size_t>(-1);  // bytes
  void begin() override {
    ++attempts;
    body.clear();
  }
  bool write(std::string_view chunk) override {
    ++chunks;
    body.append(chunk);
    return body.size() <= refuse_after;
  }
};

}  // namespace kci::test

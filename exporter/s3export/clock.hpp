#pragma once
// The wall clock of an s3-export run (which days are due, the Pushgateway's success time),
// injectable so tests fix "now".
#include <cstdint>
#include <ctime>

namespace kci {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_unix_seconds() const = 0;
};

class SystemClock : public Clock {
 public:
  std::int64_t now_unix_seconds() const override {
    return static_cast<std::int64_t>(std::time(nullptr));
  }
};

}  // namespace kci

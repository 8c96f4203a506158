#include "exporter/util/env.hpp"

#include "exporter/util/cancellation.hpp"

namespace kci {
namespace {

class SystemEnv final : public Env {
 public:
  WallTime wall_now() const override { return std::chrono::system_clock::now(); }
  MonoTime monotonic_now() const override { return std::chrono::steady_clock::now(); }
  bool wait_until(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                  MonoTime deadline, const std::function<bool()>& ready) override {
    if (deadline == MonoTime::max()) {
      cv.wait(lock, ready);
      return true;
    }
    return cv.wait_until(lock, deadline, ready);
  }
};

}  // namespace

double Env::wall_unix_seconds() const {
  return std::chrono::duration<double>(wall_now().time_since_epoch()).count();
}

bool Env::sleep_until(MonoTime deadline, const Cancellation& cancel) {
  std::mutex mutex;
  std::condition_variable cv;
  bool cancelled = false;  // guarded by mutex
  // The hook runs under the Cancellation's own mutex (at once when already cancelled); the
  // subscription ends before `mutex` and `cv` go out of scope.
  const auto subscription = cancel.on_cancel([&] {
    std::lock_guard lock(mutex);
    cancelled = true;
    cv.notify_all();
  });
  std::unique_lock lock(mutex);
  return wait_until(cv, lock, deadline, [&] { return cancelled; });
}

std::int64_t Env::wall_unix_time() const {
  return std::chrono::floor<std::chrono::seconds>(wall_now()).time_since_epoch().count();
}

Env& Env::system() {
  static SystemEnv k_system;
  return k_system;
}

}  // namespace kci

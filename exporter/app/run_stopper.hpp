#pragma once
// What stops an s3-export run early: SIGTERM (Kubernetes deleting the CronJob's pod, or its
// activeDeadlineSeconds), SIGINT (Ctrl-C) and the run's own deadline, all turned into one
// Cancellation, so the run ends the way it ends on any failure: the request in flight is cut,
// a multipart upload is aborted, the temporary file removed, exit code 1. Without this, SIGTERM
// kills the process at once and leaves the upload's parts stored (and billed) and the file.
#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "exporter/util/cancellation.hpp"
#include "exporter/util/env.hpp"

namespace kci {

class RunStopper {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it starts later:
  // construct it before any other thread exists. A thread then waits for them (sigtimedwait):
  // the first one, or `run_timeout` passing, cancels `cancel` with a one-line reason
  // ("interrupted by SIGTERM", "the run took longer than <timeout_name>=45m"). Later signals
  // are logged and otherwise ignored: the run is already stopping (SIGKILL still ends it).
  // `cancel` must outlive the stopper.
  // The deadline is on `env`'s monotonic clock.
  RunStopper(Cancellation& cancel, std::chrono::milliseconds run_timeout, std::string timeout_name,
             const Env& env = Env::system());
  // Stops the thread, takes any signal that arrived since (cancelling too) and restores the
  // signal mask.
  ~RunStopper();
  RunStopper(const RunStopper&) = delete;
  RunStopper& operator=(const RunStopper&) = delete;

 private:
  void watch();

  Cancellation& m_cancel;
  const Env& m_env;
  std::chrono::steady_clock::time_point m_deadline;
  std::chrono::milliseconds m_run_timeout;
  std::string m_timeout_name;
  sigset_t m_signals{};
  sigset_t m_previous_mask{};
  std::atomic<bool> m_stopping{false};
  std::thread m_thread;
};

}  // namespace kci

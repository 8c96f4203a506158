#include "exporter/app/run_stopper.hpp"

#include <pthread.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "exporter/util/durations.hpp"
#include "exporter/util/logging.hpp"

namespace kci {
namespace {

// How often the watching thread looks at m_stopping: the bound on the destructor's wait.
constexpr std::chrono::milliseconds k_poll{100};

std::string signal_name(int signo) {
  return signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : std::to_string(signo);
}

}  // namespace

RunStopper::RunStopper(Cancellation& cancel, std::chrono::milliseconds run_timeout,
                       std::string timeout_name, const Env& env)
    : m_cancel(cancel),
      m_env(env),
      m_deadline(env.deadline_after(run_timeout)),
      m_run_timeout(run_timeout),
      m_timeout_name(std::move(timeout_name)) {
  sigemptyset(&m_signals);
  sigaddset(&m_signals, SIGTERM);
  sigaddset(&m_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &m_signals, &m_previous_mask);
  m_thread = std::thread([this] { watch(); });
}

RunStopper::~RunStopper() {
  m_stopping = true;
  m_thread.join();
  // A signal that came after the thread's last look is pending: take it rather than let the
  // restored mask deliver it with its default action (death) while the process exits.
  const timespec zero{0, 0};
  siginfo_t info{};
  while (sigtimedwait(&m_signals, &info, &zero) > 0)
    m_cancel.cancel("interrupted by " + signal_name(info.si_signo));
  pthread_sigmask(SIG_SETMASK, &m_previous_mask, nullptr);
}

void RunStopper::watch() {
  bool deadline_reported = false;
  while (!m_stopping) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - m_env.monotonic_now());
    if (left.count() <= 0 && !deadline_reported) {
      deadline_reported = true;
      const std::string reason =
          "the run took longer than " + m_timeout_name + "=" + format_duration(m_run_timeout);
      log::error("s3-export run deadline passed: stopping, aborting uploads in flight",
                 {{"reason", reason}});
      m_cancel.cancel(reason);
    }
    const auto wait = deadline_reported || left > k_poll ? k_poll : left;
    const timespec ts{static_cast<time_t>(wait.count() / 1000),
                      static_cast<long>((wait.count() % 1000) * 1'000'000)};
    siginfo_t info{};
    const int signo = sigtimedwait(&m_signals, &info, &ts);
    if (signo < 0) continue;  // EAGAIN (the wait ended) or EINTR
    const std::string name = signal_name(signo);
    if (m_cancel.cancelled()) {
      log::warn("s3-export already stopping: signal ignored", {{"signal", name}});
      continue;
    }
    log::warn("s3-export interrupted: stopping, aborting uploads in flight", {{"signal", name}});
    m_cancel.cancel("interrupted by " + name);
  }
}

}  // namespace kci

// SIGTERM, SIGINT and the run deadline become the run's cancellation; later signals are
// ignored; the signal mask is restored afterwards. Signals are sent to the process (kill), as
// Kubernetes sends them, not to a thread.
#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "exporter/app/run_stopper.hpp"

using namespace kci;
using namespace std::chrono_literals;

namespace {

bool blocked(int signo) {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  return sigismember(&now, signo) == 1;
}

}  // namespace

TEST_CASE("run stopper: SIGTERM cancels the run; a second signal changes nothing") {
  Cancellation cancel;
  {
    RunStopper stopper(cancel, 1h, "s3ExportRunTimeout");
    CHECK(blocked(SIGTERM));
    CHECK(blocked(SIGINT));
    REQUIRE(kill(getpid(), SIGTERM) == 0);
    CHECK(cancel.wait_for(30s));
    CHECK(cancel.reason() == "interrupted by SIGTERM");
    REQUIRE(kill(getpid(), SIGINT) == 0);  // would end the test binary if it were not taken
    std::this_thread::sleep_for(300ms);
    CHECK(cancel.reason() == "interrupted by SIGTERM");
  }
  CHECK_FALSE(blocked(SIGTERM));
  CHECK_FALSE(blocked(SIGINT));
}

TEST_CASE("run stopper: SIGINT cancels the run") {
  Cancellation cancel;
  RunStopper stopper(cancel, 1h, "s3ExportRunTimeout");
  REQUIRE(kill(getpid(), SIGINT) == 0);
  CHECK(cancel.wait_for(30s));
  CHECK(cancel.reason() == "interrupted by SIGINT");
}

TEST_CASE("run stopper: the run deadline cancels the run") {
  Cancellation cancel;
  RunStopper stopper(cancel, 300ms, "s3ExportRunTimeout");
  CHECK(cancel.wait_for(30s));
  CHECK(cancel.reason() == "the run took longer than s3ExportRunTimeout=300ms");
}

TEST_CASE("run stopper: a quiet run is not cancelled") {
  Cancellation cancel;
  { RunStopper stopper(cancel, 1h, "s3ExportRunTimeout"); }
  CHECK_FALSE(cancel.cancelled());
}

#include "daemon/signals.h"

#include <csignal>
#include <ctime>

namespace xlb::daemon {
namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigset_t set = shutdown_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ShutdownSignals::~ShutdownSignals() {
  done_ = true;
  if (thread_.joinable()) thread_.join();
}

void ShutdownSignals::start(std::function<void(int)> on_signal) {
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    const sigset_t set = shutdown_set();
    const timespec tick{0, 200'000'000};  // re-check done_ so the destructor never hangs
    while (!done_) {
      const int signo = sigtimedwait(&set, nullptr, &tick);
      if (signo > 0) {
        on_signal(signo);
        return;
      }
    }
  });
}

}  // namespace xlb::daemon

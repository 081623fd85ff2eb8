// SIGTERM/SIGINT handling without async-signal-safety traps: the signals are blocked in every
// thread and a dedicated thread waits for them and runs the shutdown callback.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace xlb::daemon {

class ShutdownSignals {
 public:
  // Blocks SIGTERM and SIGINT for this thread and every thread it creates afterwards, so
  // construct this before any other thread exists.
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Runs `on_signal` once, on the waiting thread, when a signal arrives.
  void start(std::function<void(int signo)> on_signal);

 private:
  std::thread thread_;
  std::atomic<bool> done_{false};
};

}  // namespace xlb::daemon

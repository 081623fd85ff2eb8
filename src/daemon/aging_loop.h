// Runs conntrack aging on its own thread every interval until stopped.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "conntrack/aging.h"
#include "reconcile/reconciler.h"

namespace xlb::daemon {

class AgingLoop {
 public:
  AgingLoop(Datapath& datapath, const Reconciler& reconciler, unsigned interval_s);
  ~AgingLoop();
  void start();
  void stop();

 private:
  void run();

  Datapath& datapath_;
  const Reconciler& reconciler_;
  unsigned interval_s_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xlb::daemon

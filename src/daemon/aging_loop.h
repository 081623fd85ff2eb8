// Runs conntrack aging on its own thread every interval until stopped.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "conntrack/aging.h"
#include "conntrack/summary.h"
#include "daemon/rst_socket.h"
#include "reconcile/reconciler.h"

namespace xlb::daemon {

class AgingLoop {
 public:
  // Each pass publishes its conntrack summary into `summaries`; with `rst`, established TCP
  // flows that expire are reset at both ends first (xlbd --ct-expiry-rst).
  AgingLoop(Datapath& datapath, const Reconciler& reconciler, unsigned interval_s,
            CtSummaryCache& summaries, const RstSocket* rst = nullptr);
  ~AgingLoop();
  void start();
  void stop();

 private:
  void run();

  Datapath& datapath_;
  const Reconciler& reconciler_;
  unsigned interval_s_;
  CtSummaryCache& summaries_;
  const RstSocket* rst_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace xlb::daemon

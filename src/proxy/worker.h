// One xlb-proxy event loop (one per core): its own listener of the reuseport group, its own
// client connections, backend connection pools and balancers; nothing shared with the other
// workers but the published configuration, the counters and the connection count.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "proxy/runtime.h"
#include "proxy/stats.h"

namespace xlb::proxy {

class Worker {
 public:
  Worker(int listen_fd, const ConfigStore& store, StatsRegistry& registry,
         std::atomic<uint32_t>& connections);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Serves until `stop` is set (checked at least every 100 ms).
  void run(const std::atomic<bool>& stop);

 private:
  struct Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace xlb::proxy

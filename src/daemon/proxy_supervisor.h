// xlbd's side of the L7 proxy: starts xlb-proxy when the first fullproxy rule exists, restarts
// it when it dies (with backoff), and pushes the fullproxy rules (health applied) and limits to
// it over the control channel, so changes never drop connections. It owns what must outlive a
// proxy crash: the listening sockets (a reuseport group bound to 127.0.0.1 with IP_TRANSPARENT,
// whose backlog keeps accepting while the proxy restarts), the steering program and the policy
// route. A proxy crash never touches xlbd or the L4 datapath.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "model/service.h"
#include "proxy/limits.h"
#include "proxy/stats.h"

namespace xlb {
class BpfDatapath;
class ProxySteering;
}  // namespace xlb

namespace xlb::daemon {

struct ProxySupervisorOptions {
  std::string binary;    // xlb-proxy; empty: beside xlbd's own executable
  unsigned workers = 0;  // event loops (listeners); 0: one per core
  proxy::Limits limits;
};

class ProxySupervisor {
 public:
  ProxySupervisor(const BpfDatapath& datapath, ProxySupervisorOptions options);
  ~ProxySupervisor();  // stops the proxy and its thread
  ProxySupervisor(const ProxySupervisor&) = delete;
  ProxySupervisor& operator=(const ProxySupervisor&) = delete;

  // The fullproxy rules now (the reconciler's hook: cheap, never blocks on the proxy).
  void update(std::vector<model::Service> rules);
  // Asks the running proxy for its counters (bounded wait); for /metrics. nullopt while no
  // fullproxy rule ever asked for a proxy.
  std::optional<proxy::ProxyStatus> status();
  // Has the running proxy load every TLS rule's files again (xlbctl reload certs): its answer,
  // {"ok", "loaded", "errors": [one line per file refused], "warnings"}.
  Result<nlohmann::json> reload_tls();

 private:
  void run();
  Result<void> prepare();  // listeners, steering, policy route: once, on the first rule
  Result<void> spawn();
  void reap_child(bool wait);
  Result<nlohmann::json> exchange(const nlohmann::json& message);
  void push_config();

  const BpfDatapath& datapath_;
  ProxySupervisorOptions options_;
  std::unique_ptr<ProxySteering> steering_;
  std::vector<int> listeners_;
  int control_fd_ = -1;  // xlbd's end of the channel of the running proxy
  pid_t pid_ = -1;
  std::atomic<uint64_t> restarts_{0};
  std::atomic<bool> started_once_{false};
  bool prepared_ = false;

  std::mutex mu_;  // rules_, dirty_, stop_
  std::condition_variable wake_;
  std::vector<model::Service> rules_;
  bool dirty_ = false;
  bool stop_ = false;
  std::mutex channel_mu_;  // one request and its answer at a time; guards control_fd_, pid_
  std::thread thread_;
};

}  // namespace xlb::daemon

// The HA controller: what the API's `set ha` and `get ha` reach. It holds the state machine,
// writes each state into the datapath (which answers ARP and ping only as MASTER or
// NOT_DEFINED), logs and counts transitions, announces the VIPs on becoming MASTER, and reports
// this node's states to its peers. Thread-safe.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/garp.h"
#include "cluster/ha_state_machine.h"
#include "cluster/peer_link.h"
#include "datapath/datapath.h"

namespace xlb::cluster {

struct HaControllerOptions {
  bool cluster = false;  // --cluster was given
  uint32_t self = 0;     // --self
  std::function<WallClock::time_point()> now = [] { return WallClock::now(); };
};

class HaController {
 public:
  HaController(Datapath& datapath, PeerLink& peers, Announcer& announcer,
               HaControllerOptions options);

  // Takes the datapath's states as they are (a restart changes nothing the datapath does) and
  // reports them to the peers. Call once, before serving.
  Result<void> adopt();

  // A decider's request. Errors: not_found (no such instance), conflict (MASTER while a
  // connected peer still resyncs to this node), datapath. On error nothing changed.
  Result<HaInstanceStatus> set_state(const std::string& instance, HaState state,
                                     const std::string& by = "api");
  // xlbd is stopping: every instance that answers for the VIPs (MASTER, NOT_DEFINED) goes FAULT
  // in the datapath, which keeps forwarding but no longer claims the VIPs; keepalived's track
  // script fails over to the peer within a second anyway. Only for nodes of a pair
  // (--cluster): a lone node keeps answering while xlbd restarts.
  void stop_answering();
  // Ready to become MASTER (keepalived's track script); the error says why not.
  Result<void> ready(const std::string& instance) const;
  HaStatus status() const;
  // One instance's status; not_found (naming the instances there are) when there is none.
  Result<HaInstanceStatus> instance(const std::string& name) const;

 private:
  std::vector<PeerSync> peer_sync() const;
  LocalStates local_states() const;  // under mu_

  Datapath& datapath_;
  PeerLink& peers_;
  Announcer& announcer_;
  HaControllerOptions options_;
  mutable std::mutex mu_;
  HaStateMachine machine_;
};

}  // namespace xlb::cluster

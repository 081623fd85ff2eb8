// The HA state machine of one node, pure (no I/O, time passed in): its instances, what a decider
// may ask of them, and when becoming MASTER must wait (409): while a connected peer's resync of
// its flows to this node is still running. keepalived decides who is MASTER; this only records
// and checks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/ha_status.h"
#include "common/result.h"

namespace xlb::cluster {

// What the readiness rule needs to know of a peer.
struct PeerSync {
  std::string address;
  bool connected = false;
  ResyncState resync = ResyncState::none;
};

std::vector<PeerSync> to_peer_sync(const std::vector<PeerStatus>& peers);

struct HaTransition {
  std::string instance;
  HaState from = HaState::not_defined;
  HaState to = HaState::not_defined;
  WallClock::time_point at{};
};

class HaStateMachine {
 public:
  // Instances in datapath index order (the first is index 0); at least one.
  explicit HaStateMachine(std::vector<std::string> instances, WallClock::time_point now);

  // The state the datapath held when xlbd started (a restart keeps it): no transition is
  // counted; a state other than NOT_DEFINED counts as decided.
  Result<void> adopt(const std::string& instance, HaState state);

  // Checks a decider's request without changing anything. Errors: not_found (no such
  // instance), conflict (MASTER asked while a connected peer's resync is running). Returns
  // whether the state would change.
  Result<bool> check(const std::string& instance, HaState to,
                     const std::vector<PeerSync>& peers) const;
  // Records a request check() accepted (the caller wrote the datapath in between): the instance
  // is decided from now on; a change is a transition.
  std::optional<HaTransition> commit(const std::string& instance, HaState to,
                                     WallClock::time_point now);

  // Ready to become MASTER: already MASTER, or no connected peer is still resyncing to us.
  // The error (code unavailable) says why not.
  Result<void> ready(const std::string& instance, const std::vector<PeerSync>& peers) const;

  // The instances with readiness filled in, in index order; one of them (not_found: none).
  std::vector<HaInstanceStatus> instances(const std::vector<PeerSync>& peers) const;
  Result<HaInstanceStatus> instance(const std::string& name,
                                    const std::vector<PeerSync>& peers) const;
  // The datapath index of an instance; nullopt when there is none of that name.
  std::optional<uint32_t> index_of(const std::string& instance) const;

 private:
  Error no_such_instance(const std::string& instance) const;

  std::vector<HaInstanceStatus> instances_;
};

}  // namespace xlb::cluster

// What a node knows of HA: its instances' states with their history, and what it hears from its
// --cluster peers over the peer channel. Read by the API (get ha), diagnose and /metrics.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ha_state.h"

namespace xlb::cluster {

using WallClock = std::chrono::system_clock;

struct HaInstanceStatus {
  std::string name;
  HaState state = HaState::not_defined;
  WallClock::time_point since{};  // the last transition, or when xlbd started
  uint64_t transitions = 0;       // since xlbd started
  // A decider set a state (or xlbd adopted one a decider had set before it restarted).
  bool decided = false;
  // May this node become MASTER now (keepalived's track script asks); why not, when it may not.
  bool ready = true;
  std::string not_ready_reason;
};

// The peer's resync of its flows to this node (issue 19 fills it; until then a connected peer's
// resync completes with its hello).
enum class ResyncState { none, running, complete };
std::string_view resync_name(ResyncState state);  // "none", "running", "complete"

struct PeerStatus {
  std::string address;  // as given in --cluster
  // The peer's channel to this node is up, authenticated and not silent: its states are current.
  bool connected = false;
  // This node's channel to the peer is up: the peer hears this node's states.
  bool reporting = false;
  WallClock::time_point connected_since{};
  std::optional<uint32_t> self;            // the peer's --self, from its hello
  std::map<std::string, HaState> states;   // the peer's instances, as it last reported them
  ResyncState resync = ResyncState::none;  // none while not connected
  std::string last_error;                  // why a channel is down; empty while both are up
};

// Connections the cluster port refused, by reason.
struct ClusterRejects {
  uint64_t address = 0;    // not from a --cluster address
  uint64_t handshake = 0;  // TLS-PSK handshake failed: no key, a wrong key, not TLS at all
  uint64_t malformed = 0;  // authenticated, then sent something the wire format does not allow
  uint64_t version = 0;    // another wire version
};

struct HaStatus {
  bool cluster = false;  // xlbd --cluster was given
  uint32_t self = 0;     // --self
  std::vector<HaInstanceStatus> instances;
  std::vector<PeerStatus> peers;
  ClusterRejects rejects;

  const HaInstanceStatus* instance(std::string_view name) const;
};

}  // namespace xlb::cluster

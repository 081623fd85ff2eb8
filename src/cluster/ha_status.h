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

// The peer's resync of its flows to this node: running from its hello until its full dump's end
// (complete at once when conntrack sync is off).
enum class ResyncState { none, running, complete };
std::string_view resync_name(ResyncState state);  // "none", "running", "complete"

// Records from a peer that were checked against this node's rules and not written, by reason.
struct SyncRejects {
  uint64_t unknown_rule = 0;      // no rule here for the flow's VIP, port and protocol
  uint64_t rule_differs = 0;      // the rule here has another mode, or not that SNAT address
  uint64_t unknown_endpoint = 0;  // the rule here has no such endpoint
  uint64_t conflict = 0;          // the flow's reply tuple (a FullNAT port) is held by a local flow
  uint64_t datapath = 0;          // the datapath refused the write
  uint64_t total() const {
    return unknown_rule + rule_differs + unknown_endpoint + conflict + datapath;
  }
};

// Conntrack sync with one peer, both directions (docs/ha.md).
struct PeerSyncStatus {
  bool enabled = false;          // this node syncs conntrack (--cluster)
  uint64_t flows_sent = 0;       // flow records sent to the peer (events, dumps, refreshes)
  uint64_t closed_sent = 0;      // closed records sent
  uint64_t flows_received = 0;   // flow records received and written here
  uint64_t closed_received = 0;  // closed records received
  // Flow records not written because this node's entry saw a packet as recently (the echo of
  // its own flow, or a refresh older than what this node forwarded since).
  uint64_t stale_skipped = 0;
  uint64_t queue_dropped = 0;    // records not queued for the peer: its queue was full
  uint64_t dumps_sent = 0;       // full dumps this node completed to the peer
  // How long the oldest record queued for the peer has waited (0: nothing waits), and how long
  // the oldest record of the peer's last batch waited there.
  double lag_seconds = 0;
  double peer_lag_seconds = 0;
  std::optional<WallClock::time_point> last_full_resync;  // the peer's last full dump completed
  SyncRejects rejects;
};

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
  PeerSyncStatus sync;
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

// The peer channel between --cluster nodes, behind an interface so the HA controller, the API
// and diagnose are unit-tested with a fake (fake/fake_peer_link.h), as the datapath is. In this
// release it carries a versioned hello and each node's HA states; conntrack sync adds its
// records to the same channel. It reports state; it never elects anyone (keepalived does).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cluster/ha_status.h"

namespace xlb::cluster {

// An instance's state as this node reports it to its peers.
using LocalStates = std::vector<std::pair<std::string, HaState>>;

class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // This node's states, sent to every peer at once and again with each heartbeat.
  virtual void publish(const LocalStates& states) = 0;
  // Every --cluster peer, in --cluster order, connected or not.
  virtual std::vector<PeerStatus> peers() const = 0;
  virtual ClusterRejects rejects() const = 0;
};

// Without --cluster: no peers, nothing sent.
class NoPeerLink final : public PeerLink {
 public:
  void publish(const LocalStates&) override {}
  std::vector<PeerStatus> peers() const override { return {}; }
  ClusterRejects rejects() const override { return {}; }
};

}  // namespace xlb::cluster

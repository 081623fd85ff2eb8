// Conntrack sync findings: a --cluster peer this node is not connected to (flows are not synced
// to it, so a failover now breaks them), a sync falling behind, and records a peer sent that
// this node could not place (its rules differ from the peer's).
#include <cstdio>

#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

// Records waiting longer than this for the peer: a failover now would lose the newest flows.
constexpr double kSyncLagWarnSeconds = 1.0;

std::string sync_seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

std::string sync_counts(const cluster::PeerSyncStatus& s) {
  return "sent " + std::to_string(s.flows_sent) + " flow records, received " +
         std::to_string(s.flows_received) + ".";
}

}  // namespace

void check_ct_sync(const Snapshot& s, Report& r) {
  if (!s.ha.cluster) return;
  for (const auto& p : s.ha.peers) {
    if (!p.connected || !p.reporting) {
      r.findings.push_back(
          {Severity::warning,
           "ha_peer_not_connected",
           "Peer " + p.address +
               " is configured (--cluster) but not connected: this node's flows are not synced "
               "to it and its states are not heard, so a failover now breaks established flows.",
           {"peer " + p.address + ": " + (p.last_error.empty() ? "not connected" : p.last_error) +
            "."},
           "check that xlbd runs on " + p.address +
               " with this node's address in its --cluster, the same --cluster-port and the same "
               "--cluster-key-file contents, and that TCP to that port passes (docs/ha.md)."});
      continue;
    }
    const auto& sync = p.sync;
    if (!sync.enabled) continue;
    if (sync.lag_seconds > kSyncLagWarnSeconds || sync.queue_dropped > 0) {
      r.findings.push_back(
          {Severity::warning,
           "ha_sync_lagging",
           "Conntrack sync to peer " + p.address +
               " is falling behind: flows started in the "
               "last moments would break on a failover now.",
           {"oldest record waiting: " + sync_seconds(sync.lag_seconds) +
            "; records dropped from a full queue: " + std::to_string(sync.queue_dropped) + "; " +
            sync_counts(sync)},
           "check the link between the nodes (bandwidth, loss) and the peer's load; dropped "
           "records heal with the next refresh of live flows (docs/ha.md)."});
    }
    if (sync.rejects.total() > 0) {
      const auto& x = sync.rejects;
      r.findings.push_back(
          {Severity::warning,
           "ha_sync_rejected",
           "Peer " + p.address + " sent " + std::to_string(x.total()) +
               " conntrack records this node did not write: those flows would break on a "
               "failover to this node.",
           {"unknown rule: " + std::to_string(x.unknown_rule) +
            ", rule differs (mode or SNAT "
            "address): " +
            std::to_string(x.rule_differs) + ", unknown endpoint: " +
            std::to_string(x.unknown_endpoint) + ", FullNAT port held here: " +
            std::to_string(x.conflict) + ", datapath refused: " + std::to_string(x.datapath) + "."},
           "give both nodes the same rules, endpoints and --snat addresses (xlbctl save on one, "
           "xlbctl apply on the other); compare `xlbctl get lb -o wide` on both."});
    }
  }
}

}  // namespace xlb::diagnose

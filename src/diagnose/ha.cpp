// HA findings: who answers ARP for the VIPs. Both nodes MASTER (clients split between them),
// none (nobody answers), a --cluster node no decider ever set (it answers like a lone node), and
// a standby, whose silence is expected. A peer's state counts only while its channel is up.
#include <algorithm>

#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

using cluster::HaState;

const cluster::HaInstanceStatus* default_instance(const Snapshot& s) {
  return s.ha.instance(cluster::kDefaultHaInstance);
}

std::string state_text(HaState state) { return std::string(cluster::ha_state_name(state)); }

// "peer 10.0.9.2 (connected): MASTER" for every connected peer that reports `instance`.
std::vector<std::string> peer_evidence(const Snapshot& s, const std::string& instance) {
  std::vector<std::string> out;
  for (const auto& p : s.ha.peers) {
    if (!p.connected) {
      out.push_back("peer " + p.address + ": not connected (" + p.last_error + ").");
      continue;
    }
    auto it = p.states.find(instance);
    out.push_back(
        "peer " + p.address + " (connected): " +
        (it == p.states.end() ? std::string("no state reported") : state_text(it->second)) + ".");
  }
  return out;
}

// Some connected peer reports `instance` in one of `states`.
bool peer_reports(const Snapshot& s, const std::string& instance,
                  std::initializer_list<HaState> states) {
  return std::any_of(s.ha.peers.begin(), s.ha.peers.end(), [&](const cluster::PeerStatus& p) {
    auto it = p.states.find(instance);
    return p.connected && it != p.states.end() &&
           std::find(states.begin(), states.end(), it->second) != states.end();
  });
}

}  // namespace

bool ha_standby(const Snapshot& s) {
  const auto* st = default_instance(s);
  return st && !cluster::answers_for_vips(st->state);
}

void check_ha(const Snapshot& s, Report& r) {
  const auto* st = default_instance(s);
  if (!st) return;
  const std::string vip = s.query.vip;
  std::vector<std::string> evidence = {"this node: " + state_text(st->state) + " (" +
                                       std::to_string(st->transitions) +
                                       " transitions since xlbd started)."};
  for (auto& e : peer_evidence(s, st->name)) evidence.push_back(std::move(e));

  if (st->state == HaState::master && peer_reports(s, st->name, {HaState::master})) {
    r.findings.push_back(
        {Severity::problem, "ha_both_master",
         "Both nodes are MASTER for HA instance " + st->name + ": both answer ARP for " + vip +
             ", so clients split between them and their flows break when an ARP cache flips.",
         evidence,
         "check that the nodes' VRRP adverts reach each other (the same virtual_router_id, IP "
         "protocol 112 not filtered; see keepalived's log), then make the node that should "
         "stand by BACKUP: xlbctl set ha " +
             st->name + " --state=BACKUP."});
    return;
  }
  if (s.ha.cluster && !st->decided) {
    r.findings.push_back(
        {Severity::warning, "ha_not_set",
         "This node is in an HA pair (--cluster) but no decider has set its HA state: it "
         "answers ARP for " +
             vip + " as a lone node would (NOT_DEFINED), and so may its peer.",
         evidence,
         "run keepalived with contrib/keepalived/keepalived.conf (its notify script runs "
         "xlbctl set ha), or set the state: xlbctl set ha " +
             st->name + " --state=BACKUP (docs/ha.md)."});
    return;
  }
  if (!ha_standby(s)) return;
  if (peer_reports(s, st->name, {HaState::backup, HaState::fault})) {
    r.findings.push_back(
        {Severity::problem, "ha_no_master",
         "No node is MASTER for HA instance " + st->name + ": nobody answers ARP for " + vip + ".",
         evidence,
         "check keepalived on both nodes (a FAULT node's track script or interfaces say why); "
         "to serve at once, make one MASTER: xlbctl set ha " +
             st->name + " --state=MASTER."});
    return;
  }
  r.findings.push_back({Severity::info, "ha_standby",
                        "This node is " + state_text(st->state) + " for HA instance " + st->name +
                            ": it does not answer ARP or ping for " + vip +
                            " (the MASTER does); flows that still reach it are forwarded.",
                        evidence, ""});
}

}  // namespace xlb::diagnose

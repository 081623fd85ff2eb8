#include "cluster/ha_state_machine.h"

#include "common/quote.h"

namespace xlb::cluster {
namespace {

// Why becoming MASTER must wait, or nullopt: the first connected peer whose resync of flows
// to this node is still running (taking over now would drop the flows it has not sent yet).
std::optional<std::string> resync_blocks_master(const std::vector<PeerSync>& peers) {
  for (const auto& peer : peers) {
    if (peer.connected && peer.resync == ResyncState::running) {
      return "peer " + peer.address +
             " is connected and its resync of flows to this node is still running";
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<PeerSync> to_peer_sync(const std::vector<PeerStatus>& peers) {
  std::vector<PeerSync> out;
  for (const auto& p : peers) out.push_back({p.address, p.connected, p.resync});
  return out;
}

HaStateMachine::HaStateMachine(std::vector<std::string> instances, WallClock::time_point now) {
  for (auto& name : instances) {
    HaInstanceStatus st;
    st.name = std::move(name);
    st.since = now;
    instances_.push_back(std::move(st));
  }
}

std::optional<uint32_t> HaStateMachine::index_of(const std::string& instance) const {
  for (size_t i = 0; i < instances_.size(); ++i) {
    if (instances_[i].name == instance) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

Error HaStateMachine::no_such_instance(const std::string& instance) const {
  std::string names;
  for (const auto& st : instances_) names += (names.empty() ? "" : ", ") + st.name;
  return Error{ErrorCode::not_found,
               "HA instance " + xlb::quoted(instance) + " does not exist: this node has " + names +
                   " (" + std::string(kDefaultHaInstance) + " covers every rule)",
               "instance"};
}

Result<void> HaStateMachine::adopt(const std::string& instance, HaState state) {
  auto index = index_of(instance);
  if (!index) return no_such_instance(instance);
  HaInstanceStatus& st = instances_[*index];
  st.state = state;
  st.decided = state != HaState::not_defined;
  return Ok{};
}

Result<void> HaStateMachine::ready(const std::string& instance,
                                   const std::vector<PeerSync>& peers) const {
  auto index = index_of(instance);
  if (!index) return no_such_instance(instance);
  if (instances_[*index].state == HaState::master) return Ok{};
  if (auto reason = resync_blocks_master(peers)) {
    return Error{ErrorCode::unavailable,
                 "HA instance " + instance + " is not ready to become MASTER: " + *reason +
                     "; it is ready once `xlbctl get ha -o wide` shows the resync complete",
                 ""};
  }
  return Ok{};
}

Result<bool> HaStateMachine::check(const std::string& instance, HaState to,
                                   const std::vector<PeerSync>& peers) const {
  auto index = index_of(instance);
  if (!index) return no_such_instance(instance);
  const HaState from = instances_[*index].state;
  // An unreachable peer (not connected) never blocks: a partial table beats none.
  if (to == HaState::master && from != HaState::master) {
    if (auto reason = resync_blocks_master(peers)) {
      return Error{ErrorCode::conflict,
                   "HA instance " + instance + " cannot become MASTER yet: " + *reason +
                       "; retry once `xlbctl get ha -o wide` shows the resync complete "
                       "(keepalived's track script reports this node not ready meanwhile)",
                   "state"};
    }
  }
  return from != to;
}

std::optional<HaTransition> HaStateMachine::commit(const std::string& instance, HaState to,
                                                   WallClock::time_point now) {
  auto index = index_of(instance);
  if (!index) return std::nullopt;
  HaInstanceStatus& st = instances_[*index];
  st.decided = true;
  if (st.state == to) return std::nullopt;
  HaTransition t{instance, st.state, to, now};
  st.state = to;
  st.since = now;
  ++st.transitions;
  return t;
}

std::vector<HaInstanceStatus> HaStateMachine::instances(const std::vector<PeerSync>& peers) const {
  std::vector<HaInstanceStatus> out = instances_;
  for (auto& st : out) {
    auto ok = ready(st.name, peers);
    st.ready = ok.ok();
    st.not_ready_reason = ok ? "" : ok.error().message;
  }
  return out;
}

Result<HaInstanceStatus> HaStateMachine::instance(const std::string& name,
                                                  const std::vector<PeerSync>& peers) const {
  for (auto& st : instances(peers)) {
    if (st.name == name) return st;
  }
  return no_such_instance(name);
}

}  // namespace xlb::cluster

#include "cluster/ha_controller.h"

#include "logging/event.h"

namespace xlb::cluster {

HaController::HaController(Datapath& datapath, PeerLink& peers, Announcer& announcer,
                           HaControllerOptions options)
    : datapath_(datapath),
      peers_(peers),
      announcer_(announcer),
      options_(std::move(options)),
      machine_({std::string(kDefaultHaInstance)}, options_.now()) {}

namespace {

void log_transition(const HaTransition& t, const std::string& by) {
  logging::event(spdlog::level::info, "HA state changed",
                 {{"instance", t.instance},
                  {"from", std::string(ha_state_name(t.from))},
                  {"to", std::string(ha_state_name(t.to))},
                  {"by", by}});
}

}  // namespace

std::vector<PeerSync> HaController::peer_sync() const { return to_peer_sync(peers_.peers()); }

LocalStates HaController::local_states() const {
  LocalStates out;
  for (const auto& st : machine_.instances({})) out.emplace_back(st.name, st.state);
  return out;
}

Result<void> HaController::adopt() {
  std::lock_guard lock(mu_);
  for (const auto& st : machine_.instances({})) {
    auto index = machine_.index_of(st.name);
    auto held = datapath_.ha_state(*index);
    if (!held) return held.error();
    auto state = ha_state_from_abi(*held);
    if (!state) state = HaState::not_defined;
    XLB_TRY(machine_.adopt(st.name, *state));
    if (*state != HaState::not_defined) {
      logging::event(spdlog::level::info, "HA state kept from before the restart",
                     {{"instance", st.name}, {"state", std::string(ha_state_name(*state))}});
    }
  }
  peers_.publish(local_states());
  return Ok{};
}

Result<HaInstanceStatus> HaController::set_state(const std::string& instance, HaState state,
                                                 const std::string& by) {
  const std::vector<PeerSync> peers = peer_sync();  // outside mu_: the link has its own lock
  std::lock_guard lock(mu_);
  auto changes = machine_.check(instance, state, peers);
  if (!changes) return changes.error();
  if (*changes) XLB_TRY(datapath_.set_ha_state(*machine_.index_of(instance), to_abi(state)));
  auto transition = machine_.commit(instance, state, options_.now());
  if (transition) {
    log_transition(*transition, by);
    peers_.publish(local_states());
  }
  // Announced whenever a decider says MASTER, also again (keepalived re-notifying after an
  // xlbd restart): gratuitous ARPs are idempotent. Leaving MASTER drops the repeat burst.
  if (state == HaState::master) {
    announcer_.announce();
  } else if (transition && transition->from == HaState::master) {
    announcer_.cancel();
  }
  return machine_.instance(instance, peers);
}

Result<HaInstanceStatus> HaController::instance(const std::string& name) const {
  const std::vector<PeerSync> peers = peer_sync();
  std::lock_guard lock(mu_);
  return machine_.instance(name, peers);
}

void HaController::stop_answering() {
  if (!options_.cluster) return;
  announcer_.cancel();
  std::lock_guard lock(mu_);
  for (const auto& st : machine_.instances({})) {
    if (!answers_for_vips(st.state)) continue;
    if (auto ok = datapath_.set_ha_state(*machine_.index_of(st.name), XLB_HA_FAULT); !ok) {
      spdlog::error("HA instance {} stays {} in the datapath: {}", st.name, ha_state_name(st.state),
                    ok.error().message);
      continue;
    }
    if (auto t = machine_.commit(st.name, HaState::fault, options_.now())) {
      log_transition(*t, "xlbd stopping");
    }
  }
  peers_.publish(local_states());
}

Result<void> HaController::ready(const std::string& instance) const {
  const std::vector<PeerSync> peers = peer_sync();
  std::lock_guard lock(mu_);
  return machine_.ready(instance, peers);
}

HaStatus HaController::status() const {
  HaStatus out;
  out.peers = peers_.peers();
  out.rejects = peers_.rejects();
  const std::vector<PeerSync> sync = to_peer_sync(out.peers);
  out.cluster = options_.cluster;
  out.self = options_.self;
  std::lock_guard lock(mu_);
  out.instances = machine_.instances(sync);
  return out;
}

}  // namespace xlb::cluster

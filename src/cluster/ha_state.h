// HA states as operators and keepalived name them (MASTER, BACKUP, FAULT, NOT_DEFINED), over the
// datapath's enum xlb_ha_state, and the instances a node has.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "xlb/abi/ha.h"
}

namespace xlb::cluster {

enum class HaState : uint8_t {
  not_defined = XLB_HA_NOT_DEFINED,  // no decider yet: answers for the VIPs like a lone node
  master = XLB_HA_MASTER,
  backup = XLB_HA_BACKUP,
  fault = XLB_HA_FAULT,
};

// "MASTER", "BACKUP", "FAULT", "NOT_DEFINED".
std::string_view ha_state_name(HaState state);
// The state a name stands for, in any letter case (keepalived's notify passes "MASTER").
std::optional<HaState> ha_state_from_name(std::string_view name);
// Every state, in enum order.
std::vector<HaState> all_ha_states();

inline xlb_ha_state to_abi(HaState state) { return static_cast<xlb_ha_state>(state); }
std::optional<HaState> ha_state_from_abi(uint32_t value);

// The datapath answers ARP and ping for the VIPs in these states only.
constexpr bool answers_for_vips(HaState state) {
  return state == HaState::master || state == HaState::not_defined;
}

// The instance covering every rule. More instances (active/active sharding) would each own a
// set of VIPs; the API already names the instance in every call.
inline constexpr std::string_view kDefaultHaInstance = "default";

}  // namespace xlb::cluster

#include "cluster/ha_state.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace xlb::cluster {
namespace {

struct HaStateName {
  HaState state;
  std::string_view name;
};

constexpr std::array<HaStateName, XLB_HA_STATE_COUNT> kHaStateNames = {{
    {HaState::not_defined, "NOT_DEFINED"},
    {HaState::master, "MASTER"},
    {HaState::backup, "BACKUP"},
    {HaState::fault, "FAULT"},
}};

bool same_letters_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view ha_state_name(HaState state) {
  return kHaStateNames[static_cast<size_t>(state)].name;
}

std::optional<HaState> ha_state_from_name(std::string_view name) {
  for (const auto& entry : kHaStateNames) {
    if (same_letters_ignoring_case(entry.name, name)) return entry.state;
  }
  return std::nullopt;
}

std::vector<HaState> all_ha_states() {
  std::vector<HaState> out;
  for (const auto& entry : kHaStateNames) out.push_back(entry.state);
  return out;
}

std::optional<HaState> ha_state_from_abi(uint32_t value) {
  if (value >= XLB_HA_STATE_COUNT) return std::nullopt;
  return static_cast<HaState>(value);
}

}  // namespace xlb::cluster

#include "cluster/ha_status.h"

namespace xlb::cluster {

const HaInstanceStatus* HaStatus::instance(std::string_view name) const {
  for (const auto& st : instances) {
    if (st.name == name) return &st;
  }
  return nullptr;
}

std::string_view resync_name(ResyncState state) {
  switch (state) {
    case ResyncState::running:
      return "running";
    case ResyncState::complete:
      return "complete";
    case ResyncState::none:
      break;
  }
  return "none";
}

}  // namespace xlb::cluster

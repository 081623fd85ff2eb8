// What every Datapath refuses: rule ids from max_services() on, endpoint indexes from
// XLB_MAX_ENDPOINTS on, maglev tables of no or too many entries. BpfDatapath and FakeDatapath
// check calls with these same functions, so both refuse the same calls (the real per-rule arrays
// would otherwise hand out a neighbour's slot, or wrap past 2^32 into rule 0's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/result.h"

extern "C" {
#include "xlb/abi/ha.h"
#include "xlb/abi/service.h"
}

namespace xlb {

inline Result<void> check_rule_id(uint32_t svc_id, uint32_t max_services) {
  if (svc_id < max_services) return Ok{};
  return Error{ErrorCode::datapath,
               "rule id " + std::to_string(svc_id) + " exceeds --max-services (" +
                   std::to_string(max_services) + ")",
               ""};
}

inline Result<void> check_endpoint_slot(uint32_t svc_id, uint32_t ep_idx, uint32_t max_services) {
  XLB_TRY(check_rule_id(svc_id, max_services));
  if (ep_idx < XLB_MAX_ENDPOINTS) return Ok{};
  return Error{ErrorCode::datapath,
               "endpoint index " + std::to_string(ep_idx) + " exceeds the " +
                   std::to_string(XLB_MAX_ENDPOINTS) + " endpoints a rule may have",
               ""};
}

inline Result<void> check_maglev_table_size(size_t entries) {
  if (entries >= 1 && entries <= XLB_MAGLEV_MAX_SIZE) return Ok{};
  return invalid("maglev_size", "a maglev table has 1 to " + std::to_string(XLB_MAGLEV_MAX_SIZE) +
                                    " entries, got " + std::to_string(entries));
}

inline Result<void> check_maglev_generation(uint32_t generation) {
  if (generation < XLB_MAGLEV_GENERATIONS) return Ok{};
  return Error{ErrorCode::datapath,
               "maglev table generation " + std::to_string(generation) + " is not 0 or 1", ""};
}

inline Result<void> check_ha_instance(uint32_t instance) {
  if (instance < XLB_HA_MAX_INSTANCES) return Ok{};
  return Error{ErrorCode::datapath,
               "HA instance index " + std::to_string(instance) + " exceeds the " +
                   std::to_string(XLB_HA_MAX_INSTANCES) + " instances the datapath holds",
               ""};
}

// A state read from the map (the enum itself cannot hold another value).
inline Result<void> check_ha_state(uint32_t state) {
  if (state < XLB_HA_STATE_COUNT) return Ok{};
  return Error{ErrorCode::datapath, "HA state " + std::to_string(state) + " is not a state", ""};
}

}  // namespace xlb

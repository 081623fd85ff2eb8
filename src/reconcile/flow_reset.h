// Resetting an endpoint's established flows (a rule's on_down=reset): both conntrack entries of
// each flow go, so the client's next packet finds no flow; TCP is picked up as a new flow by a
// healthy endpoint, which answers RST, and the client reconnects at once instead of waiting
// for a dead backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"

namespace xlb {

// Deletes every flow whose orig entry belongs to one of the (rule id, endpoint index) pairs,
// with its reply entry. Returns the number of flows deleted.
Result<size_t> reset_endpoint_flows(Datapath& datapath,
                                    const std::vector<std::pair<uint32_t, uint16_t>>& endpoints);

}  // namespace xlb

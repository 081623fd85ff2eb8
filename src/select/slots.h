// Builds a rule's selection table: XLB_SELECT_SLOTS endpoint indexes the datapath picks from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xlb::select {

struct Candidate {
  uint8_t weight = 1;    // 1..255
  bool eligible = true;  // may take new flows (up, not draining)
};

// rr: every eligible endpoint once, in index order.
// weighted (priority, hash): each eligible endpoint owns slots in proportion to its weight,
// interleaved by smooth weighted round robin so a counter walking the table spreads new flows
// evenly at every point of the cycle, not in bursts. Scaled down to fit `capacity` when the
// weights sum past it (every eligible endpoint keeps at least one slot).
// Returns endpoint indexes; empty when no endpoint is eligible.
std::vector<uint8_t> build_slots(const std::vector<Candidate>& candidates, bool weighted,
                                 size_t capacity);

}  // namespace xlb::select

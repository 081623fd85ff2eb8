// The datapath's clock as the control plane reads it: the CLOCK_MONOTONIC that conntrack and
// affinity timestamps count (the datapath reads it coarsely, bpf/lib/clock.h, so its times
// may trail this reading by a tick, never lead it). Aging, diagnose, conntrack sync and the
// summaries compare entry times with this one reading.
#pragma once

#include <time.h>

#include <cstdint>

namespace xlb {

inline uint64_t datapath_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace xlb

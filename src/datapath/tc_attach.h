// clsact ingress attach/detach with a fixed handle, shared by the LB and decap programs.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"

namespace xlb {

// Distinct handles so the LB datapath and xlb-decap can share a host without replacing
// each other's filter.
constexpr uint32_t kTcHandleLb = 0x584c42;     // "XLB"
constexpr uint32_t kTcHandleDecap = 0x584c44;  // "XLD"

// Creates clsact if needed and attaches (or replaces in place) the filter with `handle`.
Result<void> tc_attach_ingress(int ifindex, const std::string& ifname, int prog_fd,
                               uint32_t handle);
// Removes the filter with `handle`; absent filter or qdisc is fine.
Result<void> tc_detach_ingress(int ifindex, const std::string& ifname, uint32_t handle);

}  // namespace xlb

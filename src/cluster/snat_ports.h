// The FullNAT source ports a node of a cluster allocates: the compile-time range cut into one
// equal, disjoint share per node (--cluster peers + this node), this node taking share
// --self mod nodes. Two nodes that both forward new flows at once (a split brain, or clients
// with a stale ARP entry) never hand out one port twice, and a synced flow's port never collides
// with one the receiver allocates.
#pragma once

#include <cstdint>
#include <utility>

extern "C" {
#include "xlb/abi/conntrack.h"
}

namespace xlb::cluster {

inline std::pair<uint16_t, uint16_t> snat_port_share(uint32_t self, uint32_t nodes) {
  if (nodes <= 1) return {XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX};
  const uint32_t total = XLB_SNAT_PORT_MAX - XLB_SNAT_PORT_MIN + 1;
  const uint32_t share = total / nodes;
  const uint32_t index = self % nodes;
  const uint32_t lo = XLB_SNAT_PORT_MIN + index * share;
  // The last share takes the remainder of the division.
  const uint32_t hi = index == nodes - 1 ? XLB_SNAT_PORT_MAX : lo + share - 1;
  return {static_cast<uint16_t>(lo), static_cast<uint16_t>(hi)};
}

}  // namespace xlb::cluster

// Whether the peer of each veth the datapath runs XDP on has NAPI (an XDP program of its own, or
// GRO on): frames XDP redirects into a veth are dropped otherwise. Read over rtnetlink and the
// ethtool ioctl; a peer in another network namespace is read from inside it (setns on a thread
// of its own, which needs CAP_SYS_ADMIN: without it the fact says it could not check).
#pragma once

#include <string>
#include <vector>

#include "diagnose/snapshot.h"

namespace xlb::diagnose {

// One fact per veth among `ifnames` (other kinds of interface are left out).
std::vector<VethPeerFact> gather_veth_peers(const std::vector<std::string>& ifnames);

}  // namespace xlb::diagnose

// xlb-decap: attaches the backend-side IPIP decapsulation program (L3-DSR) to interfaces.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace xlb {

// Every IPv4 address configured on this host now (all interfaces, in order of appearance).
Result<std::vector<std::string>> host_ipv4_addresses();

// The filter outlives the process: attach once, and it stays until detach_decap. Only IPIP
// packets whose outer destination is one of `local_addresses` (dotted quads) are stripped;
// attaching again replaces the filter and its list.
Result<void> attach_decap(const std::string& ifname,
                          const std::vector<std::string>& local_addresses);
Result<void> detach_decap(const std::string& ifname);

}  // namespace xlb

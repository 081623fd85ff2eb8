// xlb-decap: attaches the backend-side IPIP / IPv6-in-IPv6 decapsulation program (L3-DSR) to
// interfaces.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace xlb {

// Every IPv4 and IPv6 address configured on this host now (all interfaces, in order of
// appearance; IPv6 link-local addresses left out).
Result<std::vector<std::string>> host_ip_addresses();

// The filter outlives the process: attach once, and it stays until detach_decap. Only IPIP and
// IPv6-in-IPv6 packets whose outer destination is one of `local_addresses` are stripped;
// attaching again replaces the filter and its list.
Result<void> attach_decap(const std::string& ifname,
                          const std::vector<std::string>& local_addresses);
Result<void> detach_decap(const std::string& ifname);

}  // namespace xlb

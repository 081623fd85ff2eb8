// xlb-decap: attaches the backend-side IPIP decapsulation program (L3-DSR) to interfaces.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb {

// The filter outlives the process: attach once, and it stays until detach_decap.
Result<void> attach_decap(const std::string& ifname);
Result<void> detach_decap(const std::string& ifname);

}  // namespace xlb

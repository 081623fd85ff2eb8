// Native (driver-mode) XDP attach/detach of xlb's XDP program. Only xlb's own program is ever
// replaced or removed: another XDP program on the interface is the operator's, and refused.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb {

// The kernel's name for xlb's XDP program (its function name, cut to 15 characters).
inline constexpr const char* kXdpProgramName = "xlb_xdp_ingress";

enum class XdpAttachOutcome {
  attached,       // running in the driver (or replaced the previous xlb program in place)
  no_native_xdp,  // the driver has no native XDP: nothing changed
};

// Attaches prog_fd in driver mode, replacing xlb's own program atomically if one is there.
// An error (one sentence naming the interface) for anything else, e.g. a foreign program.
Result<XdpAttachOutcome> xdp_attach_native(int ifindex, const std::string& ifname, int prog_fd);
// Removes xlb's program; none there (or another's) is fine and left alone.
Result<void> xdp_detach_own(int ifindex, const std::string& ifname);
// Whether xlb's program is attached in driver mode (tests, cleanup).
bool xdp_own_attached(int ifindex);

}  // namespace xlb

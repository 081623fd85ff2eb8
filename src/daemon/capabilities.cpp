#include "daemon/capabilities.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace xlb::daemon {
namespace {

struct NeededCapability {
  int number;
  const char* name;
  const char* why;
};

constexpr NeededCapability kDatapathCapabilities[] = {
    {CAP_BPF, "CAP_BPF", "to load the datapath and open its maps"},
    {CAP_NET_ADMIN, "CAP_NET_ADMIN", "to attach the datapath to the interfaces"},
    {CAP_PERFMON, "CAP_PERFMON", "without it the kernel's verifier rejects the datapath"},
    {CAP_NET_RAW, "CAP_NET_RAW",
     "for HA gratuitous ARPs, ping health probes and --ct-expiry-rst resets"},
};

bool capability_is_set(CapabilityBits bits, int number) { return (bits >> number) & 1u; }

}  // namespace

CapabilityBits effective_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return ~CapabilityBits{0};
  return (CapabilityBits{data[1].effective} << 32) | data[0].effective;
}

Result<void> check_datapath_capabilities(CapabilityBits effective) {
  const bool sys_admin = capability_is_set(effective, CAP_SYS_ADMIN);
  for (const auto& cap : kDatapathCapabilities) {
    if (capability_is_set(effective, cap.number)) continue;
    if (sys_admin && (cap.number == CAP_BPF || cap.number == CAP_PERFMON)) continue;
    return Error{ErrorCode::permission,
                 std::string("missing capability ") + cap.name + " (" + cap.why +
                     "): run xlbd as root or grant it CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON and "
                     "CAP_NET_RAW (the xlbd.service unit does)",
                 "capabilities"};
  }
  return Ok{};
}

}  // namespace xlb::daemon

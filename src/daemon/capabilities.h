// The capabilities xlbd needs, checked before anything changes, so a service or container that
// grants too few fails with one line naming the missing one instead of a misleading error from
// the kernel's verifier. The set was measured (docs/packaging.md): CAP_BPF and CAP_NET_ADMIN
// load and attach the datapath, without CAP_PERFMON the verifier rejects it, and CAP_NET_RAW
// opens the packet socket HA's gratuitous ARPs go out on (at every start: keepalived may make
// any node MASTER).
#pragma once

#include <cstdint>

#include "common/result.h"

namespace xlb::daemon {

// Bit n set: capability n (linux/capability.h numbering) is effective.
using CapabilityBits = uint64_t;

// This process's effective capabilities; every bit set when the kernel does not say.
CapabilityBits effective_capabilities();

// Ok when `effective` holds what xlbd needs to run its datapath (CAP_SYS_ADMIN stands in for
// CAP_BPF and CAP_PERFMON, as on kernels older than 5.8); otherwise the first one missing, in
// one sentence with the fix.
Result<void> check_datapath_capabilities(CapabilityBits effective);

}  // namespace xlb::daemon

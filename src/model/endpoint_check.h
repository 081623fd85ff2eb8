// Which health check governs an endpoint of a rule: the host's own probe (`create endpoint`)
// wins in every rule listing the host; else a rule with monitor probes it with tcp on its
// target port; else nothing does. Pure, shared by the daemon's prober and the reconciler's
// health overlay so they always agree on the probe id.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "health/probe_spec.h"
#include "model/service.h"

namespace xlb::model {

struct EndpointCheck {
  std::string id;          // "<ip>:<port>", or "<ip>" for a probe without a port (ping, none)
  health::ProbeSpec spec;  // ready to probe: ip and port filled in
  std::string name;        // the host probe's label, empty for a rule's default probe
};

// The host's own probe, if it has one (probes sorted by ip or not).
const EndpointProbe* find_probe(const std::vector<EndpointProbe>& probes, const std::string& ip);

std::optional<EndpointCheck> endpoint_check(const std::vector<EndpointProbe>& probes,
                                            const Service& svc, const Endpoint& ep);

// A host probe on its own, before any rule lists the host: nullopt when it needs a rule's
// target port (no probe port set and the type uses one).
std::optional<EndpointCheck> standalone_check(const EndpointProbe& probe);

}  // namespace xlb::model

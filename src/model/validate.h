// Semantic validation of rules: the API is the authority; every error names the field.
#pragma once

#include "common/result.h"
#include "model/service.h"

namespace xlb::model {

Result<void> validate(const Service& svc);
// A host's own probe: ip, name and the probe (health::validate, fields named as in its JSON).
Result<void> validate(const EndpointProbe& probe);
// Two rules on one VIP, protocol and port: only fullproxy rules with different hosts and the same
// --security may share it. The error names `field` (the rule being added).
Result<void> check_port_sharing(const Service& rule, const Service& other,
                                const std::string& field);
// Also rejects two rules with the same key (or an L4 and a fullproxy rule on one port) and two
// probes for one host.
Result<void> validate(const Config& cfg);

}  // namespace xlb::model

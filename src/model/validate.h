// Semantic validation of rules: the API is the authority; every error names the field.
#pragma once

#include "common/result.h"
#include "model/service.h"

namespace xlb::model {

Result<void> validate(const Service& svc);
// A host's own probe: ip, name and the probe (health::validate, fields named as in its JSON).
Result<void> validate(const EndpointProbe& probe);
// Also rejects two rules with the same key and two probes for one host.
Result<void> validate(const Config& cfg);

}  // namespace xlb::model

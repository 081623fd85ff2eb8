// What the datapath can do today. The one list later issues flip when they add a mode,
// a selection algorithm or a feature; everything else is refused with "not_supported".
#pragma once

#include <string>

#include "common/result.h"
#include "model/service.h"

namespace xlb {

bool supported(model::Mode mode);
bool supported(model::Select select);

// Error code "not_supported", field prefixed with `prefix` (e.g. "services[2].").
Result<void> check_supported(const model::Service& svc, const std::string& prefix = "");

}  // namespace xlb

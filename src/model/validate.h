// Semantic validation of rules: the API is the authority; every error names the field.
#pragma once

#include "common/result.h"
#include "model/service.h"

namespace xlb::model {

Result<void> validate(const Service& svc);
// Also rejects two rules with the same key.
Result<void> validate(const Config& cfg);

}  // namespace xlb::model

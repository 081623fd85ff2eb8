// The state directory must exist and be writable before anything else changes.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb::daemon {

// Creates `dir` (and parents) if needed and checks that files can be written in it.
Result<void> prepare_state_dir(const std::string& dir);

}  // namespace xlb::daemon

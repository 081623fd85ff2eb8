// The state directory must exist and be writable before anything else changes.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb::daemon {

// Creates `dir` (and parents) if needed, the directory itself with mode 0700, and checks that
// files can be written in it. Refuses a directory owned by another user or world-writable.
Result<void> prepare_state_dir(const std::string& dir);

}  // namespace xlb::daemon

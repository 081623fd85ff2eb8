// File I/O for `save` and `apply`.
#pragma once

#include <string>

#include "common/result.h"

namespace xlb::cli {

Result<std::string> read_file(const std::string& path);
// Temp file in the same directory, fsync, rename: a crash leaves the old file or the new one.
Result<void> write_file_atomically(const std::string& path, const std::string& data);

}  // namespace xlb::cli

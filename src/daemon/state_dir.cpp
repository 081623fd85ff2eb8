#include "daemon/state_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace xlb::daemon {

Result<void> prepare_state_dir(const std::string& dir) {
  const std::string fix = ": pass --state-dir=<a writable directory> or fix its permissions";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{"startup",
                 "cannot create state directory " + dir + " (" + ec.message() + ")" + fix,
                 "state-dir"};
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error{"startup", "state directory " + dir + " is not a directory" + fix, "state-dir"};
  }
  // access() also reports a read-only file system (EROFS).
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Error{"startup",
                 "state directory " + dir + " is not writable (" + std::strerror(errno) + ")" + fix,
                 "state-dir"};
  }
  return Ok{};
}

}  // namespace xlb::daemon

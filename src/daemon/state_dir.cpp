#include "daemon/state_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace xlb::daemon {
namespace {

const char* const kFix = ": pass --state-dir=<a writable directory> or fix its permissions";

Error state_dir_error(const std::string& message) {
  return Error{ErrorCode::startup, message + kFix, "state-dir"};
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Whoever can write the directory can swap config.json (the rules xlbd restores) or plant a
// symlink where xlbd writes its temp file: only xlbd's own user may.
Result<void> check_ownership(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return state_dir_error("cannot stat state directory " + dir + " (" + std::strerror(errno) +
                           ")");
  }
  if (st.st_uid != ::geteuid()) {
    return state_dir_error("state directory " + dir + " is owned by uid " +
                           std::to_string(st.st_uid) + ", not by xlbd's user (uid " +
                           std::to_string(::geteuid()) + ")");
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return state_dir_error("state directory " + dir + " is world-writable (mode " +
                           octal_mode(st.st_mode) + "); chmod 0700 it");
  }
  return Ok{};
}

}  // namespace

Result<void> prepare_state_dir(const std::string& dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec) {
    return state_dir_error("cannot create state directory " + dir + " (" + ec.message() + ")");
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return state_dir_error("state directory " + dir + " is not a directory");
  }
  // chmod, not mkdir's mode: the umask must not loosen (or, at 0777, lock out) a new directory.
  if (created && ::chmod(dir.c_str(), 0700) != 0) {
    return state_dir_error("cannot chmod 0700 state directory " + dir + " (" +
                           std::strerror(errno) + ")");
  }
  if (auto ok = check_ownership(dir); !ok) return ok;
  // access() also reports a read-only file system (EROFS).
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return state_dir_error("state directory " + dir + " is not writable (" + std::strerror(errno) +
                           ")");
  }
  return Ok{};
}

}  // namespace xlb::daemon

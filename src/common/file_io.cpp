#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xlb {
namespace {

Error io_error(const std::string& what, const std::string& path) {
  return Error{ErrorCode::io, "cannot " + what + " " + path + ": " + std::strerror(errno), ""};
}

}  // namespace

Result<void> write_synced(const std::string& path, const std::string& data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return io_error("create", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = io_error("write", path);
      ::close(fd);
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = io_error("fsync", path);
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return io_error("close", path);
  return Ok{};
}

}  // namespace xlb

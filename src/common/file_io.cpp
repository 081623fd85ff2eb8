#include "common/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

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

Result<void> replace_file(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  if (auto r = write_synced(tmp, data, mode); !r) {
    ::unlink(tmp.c_str());
    return r.error();
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = io_error("replace", path);
    ::unlink(tmp.c_str());
    return e;
  }
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", dir);
  const bool synced = ::fsync(fd) == 0;
  Error e = synced ? Error{} : io_error("fsync", dir);
  ::close(fd);
  if (!synced) return e;
  return Ok{};
}

}  // namespace xlb

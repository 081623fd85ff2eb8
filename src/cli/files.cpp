#include "cli/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/file_io.h"

namespace xlb::cli {
namespace {

Error file_error(const std::string& what, const std::string& path) {
  return Error{ErrorCode::file, "cannot " + what + " " + path + ": " + std::strerror(errno), "-f"};
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return file_error("read", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<void> write_file_atomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  if (auto r = write_synced(tmp, data, 0644); !r) {
    ::unlink(tmp.c_str());
    return Error{ErrorCode::file, r.error().message, "-f"};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = file_error("replace", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return Ok{};
}

}  // namespace xlb::cli

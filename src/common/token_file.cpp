#include "common/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xlb {
namespace {

constexpr size_t kMaxTokenLength = 1024;

Error token_error(const std::string& field, const std::string& message) {
  return Error{ErrorCode::startup, message, field};
}

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\n";
  const auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Permissions checked on the open descriptor (fstat), so the file cannot be swapped between
// the check and the read.
Result<void> check_private(int fd, const std::string& path, const std::string& field) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return token_error(field, "cannot stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return token_error(field, "--" + field + " " + path + " is not a regular file");
  }
  if (st.st_uid != ::geteuid()) {
    return token_error(field, "--" + field + " " + path + " is owned by uid " +
                                  std::to_string(st.st_uid) + ", not by this user (uid " +
                                  std::to_string(::geteuid()) + "): chown it");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return token_error(field, "--" + field + " " + path + " has mode " + mode +
                                  ": other users may read it; chmod 0600 it");
  }
  return Ok{};
}

}  // namespace

Result<std::string> read_token_file(const std::string& path, const std::string& field,
                                    bool require_private) {
  // xlbd's file must be the file itself; xlbctl may read a pipe (--token-file=<(pass xlb)).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (require_private ? O_NOFOLLOW : 0));
  if (fd < 0) {
    return token_error(field, "cannot open --" + field + " " + path + ": " + std::strerror(errno));
  }
  if (require_private) {
    if (auto ok = check_private(fd, path, field); !ok) {
      ::close(fd);
      return ok.error();
    }
  }
  std::string text;
  char buf[512];
  ssize_t n = 0;
  while (text.size() <= kMaxTokenLength + 64 && (n = ::read(fd, buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return token_error(field, "cannot read --" + field + " " + path + ": " + std::strerror(err));
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);

  const std::string_view token = trim(text);
  const std::string allowed = std::to_string(kMinTokenLength) + " to " +
                              std::to_string(kMaxTokenLength) +
                              " visible ASCII characters (e.g. head -c 32 /dev/urandom | base64)";
  if (token.size() < kMinTokenLength || token.size() > kMaxTokenLength) {
    return token_error(field, "the token in --" + field + " " + path + " has " +
                                  std::to_string(token.size()) + " characters; use " + allowed);
  }
  for (char c : token) {
    if (c < '!' || c > '~') {
      return token_error(field, "the token in --" + field + " " + path +
                                    " contains a space, control or non-ASCII byte; use " + allowed);
    }
  }
  return std::string(token);
}

bool tokens_equal(std::string_view expected, std::string_view presented) {
  // Every presented byte is compared (against a wrapped-around expected byte when longer), and
  // the length difference folds into the same accumulator: no early exit.
  unsigned char diff = expected.size() != presented.size() ? 1 : 0;
  if (expected.empty()) return false;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i] ^ expected[i % expected.size()]);
  }
  return diff == 0 && !presented.empty();
}

}  // namespace xlb

#include "health/socket_util.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>

namespace xlb::health {

ProbeAddress probe_sockaddr(const std::string& ip, uint16_t port) {
  ProbeAddress out;
  if (ip.find(':') != std::string::npos) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    ::inet_pton(AF_INET6, ip.c_str(), &sa->sin6_addr);
    out.len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&out.storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &sa->sin_addr);
    out.len = sizeof *sa;
  }
  return out;
}

ConnectStart start_connect(int type, const ProbeAddress& to) {
  ConnectStart out;
  out.fd = UniqueFd(::socket(to.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!out.fd) {
    out.error = errno;
    return out;
  }
  if (::connect(out.fd.get(), to.get(), to.len) != 0 && errno != EINPROGRESS) {
    out.error = errno;
  }
  return out;
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void reset_on_close(int fd) {
  linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

}  // namespace xlb::health

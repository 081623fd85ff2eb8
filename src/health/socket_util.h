// Non-blocking socket set-up shared by the probers.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "health/unique_fd.h"

namespace xlb::health {

// A probe target of either family, ready for connect/sendto.
struct ProbeAddress {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};
ProbeAddress probe_sockaddr(const std::string& ip, uint16_t port);  // ip already validated

struct ConnectStart {
  UniqueFd fd;    // valid unless `error` is set
  int error = 0;  // errno of a connect that failed at once (loopback refusals do)
};

// Creates a non-blocking socket of `type` (SOCK_STREAM, SOCK_DGRAM) and connects it to `to`;
// a stream connect is usually still in progress on return (wait for EPOLLOUT).
ConnectStart start_connect(int type, const ProbeAddress& to);

// The error a non-blocking connect ended with (SO_ERROR); 0 when connected.
int socket_error(int fd);

// Close with RST instead of FIN, so thousands of probes a second leave no TIME_WAIT behind.
void reset_on_close(int fd);

}  // namespace xlb::health

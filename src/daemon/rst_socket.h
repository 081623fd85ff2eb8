// Sends the RSTs of an expired flow (conntrack/reset.h) through a raw IPv4 socket in xlbd's
// network namespace: the kernel routes them to the client and to the endpoint like any locally
// generated packet (the datapath sits on ingress only, so they are not translated again).
#pragma once

#include "common/result.h"
#include "conntrack/reset.h"

namespace xlb::daemon {

class RstSocket {
 public:
  // Needs CAP_NET_RAW; the error says so.
  static Result<RstSocket> open();
  RstSocket(RstSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RstSocket& operator=(RstSocket&&) = delete;
  ~RstSocket();

  // Resets both ends; returns how many RSTs were sent (failures are logged, not fatal).
  int reset(const ExpiredTcpFlow& flow) const;

 private:
  explicit RstSocket(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace xlb::daemon

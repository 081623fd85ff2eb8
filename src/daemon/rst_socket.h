// Sends the RSTs of an expired flow (conntrack/reset.h) through raw sockets in xlbd's network
// namespace, one per family (IPv4, and IPv6 where the kernel has it): the kernel routes them to
// the client and to the endpoint like any locally generated packet (the datapath sits on ingress
// only, so they are not translated again).
#pragma once

#include "common/result.h"
#include "conntrack/reset.h"

namespace xlb::daemon {

class RstSocket {
 public:
  // Needs CAP_NET_RAW; the error says so. A kernel without IPv6 leaves IPv6 flows to expire
  // without RSTs (logged once, here).
  static Result<RstSocket> open();
  RstSocket(RstSocket&& other) noexcept : fd4_(other.fd4_), fd6_(other.fd6_) {
    other.fd4_ = other.fd6_ = -1;
  }
  RstSocket& operator=(RstSocket&&) = delete;
  ~RstSocket();

  // Resets both ends; returns how many RSTs were sent (failures are logged, not fatal).
  int reset(const ExpiredTcpFlow& flow) const;

 private:
  RstSocket(int fd4, int fd6) : fd4_(fd4), fd6_(fd6) {}
  int fd4_ = -1;
  int fd6_ = -1;  // -1: no IPv6 in this kernel
};

}  // namespace xlb::daemon

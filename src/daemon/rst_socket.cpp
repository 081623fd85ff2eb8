#include "daemon/rst_socket.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ip.h"

namespace xlb::daemon {

Result<RstSocket> RstSocket::open() {
  // IPPROTO_RAW: we write the IP header ourselves (the source is the VIP or the client, which
  // are not addresses of this host).
  int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) {
    return Error{ErrorCode::startup,
                 std::string("--ct-expiry-rst needs a raw socket (") + std::strerror(errno) +
                     "): run xlbd as root or with CAP_NET_RAW, or drop --ct-expiry-rst",
                 "ct-expiry-rst"};
  }
  return RstSocket(fd);
}

RstSocket::~RstSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int RstSocket::reset(const ExpiredTcpFlow& flow) const {
  int sent = 0;
  // The segments are IPv4 packets on an IPv4 raw socket; IPv6 flows expire without RSTs (yet).
  if (flow.orig_key.family != XLB_AF_INET) return sent;
  for (const RstSegment& seg : rst_segments(flow)) {
    const auto packet = rst_packet(seg);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = seg.daddr.w[0];
    if (::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                 sizeof to) == static_cast<ssize_t>(packet.size())) {
      ++sent;
    } else {
      spdlog::warn("conntrack: RST to {}:{} not sent: {}", format_ip(seg.daddr), seg.dport,
                   std::strerror(errno));
    }
  }
  return sent;
}

}  // namespace xlb::daemon

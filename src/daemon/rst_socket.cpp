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
  // are not addresses of this host). On AF_INET6 it implies IPV6_HDRINCL (Linux >= 4.5).
  const int fd4 = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd4 < 0) {
    return Error{ErrorCode::startup,
                 std::string("--ct-expiry-rst needs a raw socket (") + std::strerror(errno) +
                     "): run xlbd as root or with CAP_NET_RAW, or drop --ct-expiry-rst",
                 "ct-expiry-rst"};
  }
  const int fd6 = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd6 < 0) {
    spdlog::warn("--ct-expiry-rst: no IPv6 raw socket ({}): IPv6 flows expire without RSTs",
                 std::strerror(errno));
  }
  return RstSocket(fd4, fd6);
}

RstSocket::~RstSocket() {
  if (fd4_ >= 0) ::close(fd4_);
  if (fd6_ >= 0) ::close(fd6_);
}

int RstSocket::reset(const ExpiredTcpFlow& flow) const {
  int sent = 0;
  const bool v6 = flow.orig_key.family == XLB_AF_INET6;
  if (v6 && fd6_ < 0) return sent;
  for (const RstSegment& seg : rst_segments(flow)) {
    const auto packet = rst_packet(seg);
    sockaddr_storage to{};
    socklen_t to_len = 0;
    if (v6) {
      auto& in6 = reinterpret_cast<sockaddr_in6&>(to);
      in6.sin6_family = AF_INET6;  // port 0: the header's next header is the protocol
      std::memcpy(&in6.sin6_addr, seg.daddr.w, 16);
      to_len = sizeof in6;
    } else {
      auto& in4 = reinterpret_cast<sockaddr_in&>(to);
      in4.sin_family = AF_INET;
      in4.sin_addr.s_addr = seg.daddr.w[0];
      to_len = sizeof in4;
    }
    if (::sendto(v6 ? fd6_ : fd4_, packet.data(), packet.size(), 0,
                 reinterpret_cast<const sockaddr*>(&to),
                 to_len) == static_cast<ssize_t>(packet.size())) {
      ++sent;
    } else {
      spdlog::warn("conntrack: RST to {} not sent: {}",
                   format_ip_port(seg.daddr, seg.family, seg.dport), std::strerror(errno));
    }
  }
  return sent;
}

}  // namespace xlb::daemon

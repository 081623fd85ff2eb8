#include "daemon/garp_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "datapath/netdev.h"

namespace xlb::daemon {

Result<std::unique_ptr<GarpSocket>> GarpSocket::open() {
  // Protocol 0: this socket sends only, it receives no frame at all.
  const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error{ErrorCode::startup,
                 std::string("gratuitous ARPs for HA need a packet socket (") +
                     std::strerror(errno) + "): run xlbd as root or with CAP_NET_RAW",
                 ""};
  }
  return std::unique_ptr<GarpSocket>(new GarpSocket(fd));
}

GarpSocket::~GarpSocket() { ::close(fd_); }

Result<void> GarpSocket::send(const std::string& ifname, const std::vector<IpAddress>& vips,
                              unsigned copies) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_ifindex = dev->ifindex;
  to.sll_halen = ETH_ALEN;
  for (unsigned copy = 0; copy < copies; ++copy) {
    for (const IpAddress& vip : vips) {
      const auto frame = cluster::announcement_frame(dev->mac, vip);
      to.sll_protocol = htons(vip.v6() ? ETH_P_IPV6 : ETH_P_ARP);
      std::memcpy(to.sll_addr, frame.data(), ETH_ALEN);  // the frame's own destination
      if (::sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                   sizeof to) != static_cast<ssize_t>(frame.size())) {
        return Error{ErrorCode::system,
                     std::string(vip.v6() ? "unsolicited NA" : "gratuitous ARP") + " on " + ifname +
                         " not sent: " + std::strerror(errno),
                     ""};
      }
    }
  }
  return Ok{};
}

}  // namespace xlb::daemon

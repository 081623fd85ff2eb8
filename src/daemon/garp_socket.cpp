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

Result<void> GarpSocket::send(const std::string& ifname, const std::vector<uint32_t>& vips,
                              unsigned copies) {
  auto dev = lookup_netdev(ifname);
  if (!dev) return dev.error();
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = dev->ifindex;
  to.sll_halen = ETH_ALEN;
  std::memset(to.sll_addr, 0xff, ETH_ALEN);
  for (unsigned copy = 0; copy < copies; ++copy) {
    for (uint32_t vip : vips) {
      const auto frame = cluster::garp_frame(dev->mac, vip);
      if (::sendto(fd_, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                   sizeof to) != static_cast<ssize_t>(frame.size())) {
        return Error{ErrorCode::system,
                     "gratuitous ARP on " + ifname + " not sent: " + std::strerror(errno), ""};
      }
    }
  }
  return Ok{};
}

}  // namespace xlb::daemon

// An address and a port of either family as an ordered map key: the proxy's listeners (VIP:port,
// where rules and certificates are found) and its backend pools (endpoint:port).
#pragma once

#include <array>
#include <compare>
#include <cstdint>

#include "common/ip.h"

namespace xlb::proxy {

struct IpPortKey {
  std::array<uint32_t, 4> words{};  // xlb_ip's words (network order); IPv4 in words[0]
  uint8_t family = 0;               // XLB_AF_INET or XLB_AF_INET6; 0: no address
  uint16_t port = 0;                // host order

  friend auto operator<=>(const IpPortKey&, const IpPortKey&) = default;
};

inline IpPortKey ip_port_key(const IpAddress& ip, uint16_t port) {
  return IpPortKey{{ip.addr.w[0], ip.addr.w[1], ip.addr.w[2], ip.addr.w[3]}, ip.family, port};
}

}  // namespace xlb::proxy

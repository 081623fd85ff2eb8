// TCP RSTs that close an expired flow at both ends: which addresses, ports and sequence
// numbers each end expects, and the IPv4 or IPv6 packet that carries them. Pure; the daemon
// sends the packets (daemon/rst_socket.h).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "conntrack/aging.h"

namespace xlb {

struct RstSegment {
  xlb_ip saddr{};
  xlb_ip daddr{};
  uint16_t sport = 0;  // host order
  uint16_t dport = 0;
  uint32_t seq = 0;              // the receiver's next expected sequence number
  uint32_t ack = 0;              // what the receiver has sent so far (RST+ACK)
  uint8_t family = XLB_AF_INET;  // the flow's (XLB_AF_INET6: both addresses are IPv6)
};

// [0]: to the client, from VIP:port, at the endpoint's next sequence number;
// [1]: to the endpoint, from the address it sees (client or SNAT), at the client's next
//      sequence number (shifted past a Proxy Protocol v2 header when one was inserted).
std::array<RstSegment, 2> rst_segments(const ExpiredTcpFlow& flow);

// IPv4 + TCP (RST|ACK, no payload) with both checksums filled in; for an IPv6 segment an IPv6
// header (no extension headers, hop limit 64) and the TCP checksum over the IPv6 pseudo-header.
std::vector<uint8_t> rst_packet(const RstSegment& seg);

}  // namespace xlb

// An independent reading of a frame for the datapath fuzz test: what a correct L4 load balancer
// may consider its own. Written from the RFCs (791, 793, 768, 792, 826; for IPv6 8200, 4443,
// 4861), not from bpf/: the fuzz test compares the datapath's behaviour against it.
#pragma once

#include <array>
#include <cstdint>

#include "packet.h"

namespace xlbtest::fuzz {

// An address as the ABI holds it: 16 bytes in network order, IPv4 in the first 4 (rest zero).
using Addr = std::array<uint32_t, 4>;

// A 5-tuple as on the wire: addresses in network byte order, ports in host order.
struct Tuple {
  Addr saddr{};
  Addr daddr{};
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  bool v6 = false;
};

struct Reading {
  enum Kind {
    kNotIp,            // not IPv4/IPv6 after at most one 802.1Q tag, and not an ARP request
    kArpRequest,       // a well-formed Ethernet/IPv4 ARP request
    kBadIp,            // IP header cut short, inconsistent lengths, or an IPv4 checksum that fails
    kFragment,         // MF or a fragment offset, or an IPv6 fragment header: no L4 header to trust
    kBadL4,            // TCP/UDP/ICMP header cut short or with lengths beyond the IP packet; IPv6
                       // UDP without a checksum
    kOtherL4,          // another IP protocol (IPv6: or more extension headers than xlb walks)
    kTcpUdp,           // a complete TCP or UDP header
    kIcmpEcho,         // ICMP or ICMPv6 echo request
    kIcmpError,        // ICMP destination unreachable or time exceeded; ICMPv6 types 1-4
    kNeighborSolicit,  // an IPv6 Neighbor Solicitation that passes RFC 4861 7.1.1's checks
    kOtherIcmp,
  };
  Kind kind = kNotIp;
  Tuple tuple;        // kTcpUdp (ports), kIcmp* (addresses, proto)
  uint8_t ttl = 0;    // IPv6: hop limit
  Addr arp_target{};  // kArpRequest, kNeighborSolicit: the address asked for
  // kIcmpError: the quoted packet's tuple when the quote holds an option-less IPv4 header (an
  // IPv6 header without extension headers) of TCP or UDP and its ports, inside the message.
  bool quote_names_flow = false;
  Tuple quote;
};

Reading read_frame(const Bytes& frame);

}  // namespace xlbtest::fuzz

// An independent reading of a frame for the datapath fuzz test: what a correct L4 load balancer
// may consider its own. Written from the RFCs (791, 793, 768, 792, 826), not from bpf/: the
// fuzz test compares the datapath's behaviour against it.
#pragma once

#include <cstdint>

#include "packet.h"

namespace xlbtest::fuzz {

// A 5-tuple as on the wire: addresses in network byte order, ports in host order.
struct Tuple {
  uint32_t saddr = 0;
  uint32_t daddr = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
};

struct Reading {
  enum Kind {
    kNotIp,       // not IPv4 after at most one 802.1Q tag, and not an ARP request
    kArpRequest,  // a well-formed Ethernet/IPv4 ARP request
    kBadIp,       // IPv4 header cut short, inconsistent lengths, or a checksum that fails
    kFragment,    // MF or a fragment offset: no L4 header to trust
    kBadL4,       // TCP/UDP/ICMP header cut short or with lengths beyond the IPv4 packet
    kOtherL4,     // another IP protocol
    kTcpUdp,      // a complete TCP or UDP header
    kIcmpEcho,    // ICMP echo request
    kIcmpError,   // ICMP destination unreachable or time exceeded
    kOtherIcmp,
  };
  Kind kind = kNotIp;
  Tuple tuple;  // kTcpUdp (ports), kIcmp* (addresses, proto)
  uint8_t ttl = 0;
  uint32_t arp_target = 0;  // kArpRequest: the address asked for
  // kIcmpError: the quoted packet's tuple when the quote holds an option-less IPv4 header of
  // TCP or UDP and its ports, inside the ICMP message.
  bool quote_names_flow = false;
  Tuple quote;
};

Reading read_frame(const Bytes& frame);

}  // namespace xlbtest::fuzz

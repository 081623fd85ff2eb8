// Packet builder: crafts input frames with libtins (its checksums are an independent check of
// ours: every built frame must pass csum verification in checksum.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "topology.h"

namespace xlbtest {

using Bytes = std::vector<uint8_t>;

struct L2 {
  Mac src;
  Mac dst;
  std::optional<uint16_t> vlan;  // one 802.1Q tag
};

// An IP header spec. Addresses with a ':' make an IPv6 header (ttl = hop limit, tos = traffic
// class; id, DF/MF, fragment offset and options are IPv4's), so one Flow serves both families.
struct Ip4 {
  const char* src;
  const char* dst;
  uint8_t ttl = 64;
  uint16_t id = 0x4242;
  bool dont_fragment = true;
  bool more_fragments = false;
  uint16_t frag_offset = 0;  // in 8-byte units
  size_t noop_options = 0;   // IPv4 options: this many NOPs, then EOL, padded to 4 bytes
  uint8_t tos = 0;
  // IPv6 only: extension headers in this order between the IPv6 and the L4 header, by type:
  // 0 hop-by-hop, 60 destination options (8 bytes of padding options each), 43 routing (type
  // 253, segments left 0), 44 fragment (offset 0, M set, id 0x4242).
  std::vector<uint8_t> ext = {};
};

bool is_v6(const char* ip);

namespace tcpf {
inline constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
}

// A SACK block (left edge, right edge), RFC 2018.
using SackBlock = std::pair<uint32_t, uint32_t>;

// `sack` non-empty: the TCP header carries NOP, NOP, SACK(blocks), as Linux sends it.
Bytes tcp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, uint8_t flags,
                uint32_t seq, uint32_t ack, const Bytes& payload = {},
                const std::vector<SackBlock>& sack = {});
Bytes udp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, const Bytes& payload);
Bytes icmp_echo_frame(const L2& l2, const Ip4& ip, uint16_t id, uint16_t seq, const Bytes& payload);
// ARP over Ethernet/IPv4; op 1 = request, 2 = reply.
Bytes arp_frame(const L2& l2, uint16_t op, const Mac& sender_mac, const char* sender_ip,
                const Mac& target_mac, const char* target_ip);
// ICMP error (e.g. type 3 destination unreachable) quoting `quote` (an IP header and what follows
// of the offending packet); `mtu` fills the next-hop MTU field (code 4), else 0.
Bytes icmp_error_frame(const L2& l2, const Ip4& ip, uint8_t type, uint8_t code, uint16_t mtu,
                       const Bytes& quote);
// IPv4-in-IPv4 (protocol 4): an outer header (ip.src -> ip.dst; TTL, id, DF, TOS from `ip`)
// in front of `inner`, a whole IPv4 packet.
Bytes ipip_frame(const L2& l2, const Ip4& ip, const Bytes& inner);
// Proxy Protocol v2 header for TCP over IPv4 (HAProxy doc/proxy-protocol.txt, section 2.2),
// built byte by byte from the spec: 12-byte signature, 0x21 (v2, PROXY), 0x11 (TCP/IPv4),
// length 12, source and destination address, source and destination port.
Bytes proxy_v2_header(const char* src, const char* dst, uint16_t sport, uint16_t dport);
Bytes ipv6_udp_frame(const L2& l2, const char* src, const char* dst, uint16_t sport,
                     uint16_t dport);
// ICMPv6 (checksummed over the IPv6 pseudo-header by libtins): echo request (type 128) or
// reply, a Neighbor Solicitation for `target` (type 135, with the sender's link-layer address
// option), and an error (type 1-4) quoting `quote`; `mtu` fills Packet Too Big's MTU field.
Bytes icmp6_echo_frame(const L2& l2, const Ip4& ip, uint8_t type, uint16_t id, uint16_t seq,
                       const Bytes& payload);
Bytes neighbor_solicit_frame(const L2& l2, const Ip4& ip, const char* target, const Mac& sender);
Bytes icmp6_error_frame(const L2& l2, const Ip4& ip, uint8_t type, uint8_t code, uint32_t mtu,
                        const Bytes& quote);
// IPv6-in-IPv6 (next header 41): an outer header (ip.src -> ip.dst, hop limit and traffic
// class from `ip`) in front of `inner`, a whole IPv6 packet.
Bytes ip6ip6_frame(const L2& l2, const Ip4& ip, const Bytes& inner);
// Proxy Protocol v2 header for TCP over IPv6: 0x21 (v2, PROXY), 0x21 (TCP/IPv6), length 36.
Bytes proxy_v2_header6(const char* src, const char* dst, uint16_t sport, uint16_t dport);

}  // namespace xlbtest

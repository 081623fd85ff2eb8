// Packet builder: crafts input frames with libtins (its checksums are an independent check of
// ours: every built frame must pass csum verification in checksum.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "topology.h"

namespace xlbtest {

using Bytes = std::vector<uint8_t>;

struct L2 {
  Mac src;
  Mac dst;
  std::optional<uint16_t> vlan;  // one 802.1Q tag
};

struct Ip4 {
  const char* src;
  const char* dst;
  uint8_t ttl = 64;
  uint16_t id = 0x4242;
  bool dont_fragment = true;
  bool more_fragments = false;
  uint16_t frag_offset = 0;  // in 8-byte units
  size_t noop_options = 0;   // IPv4 options: this many NOPs, then EOL, padded to 4 bytes
};

namespace tcpf {
inline constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
}

Bytes tcp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, uint8_t flags,
                uint32_t seq, uint32_t ack, const Bytes& payload = {});
Bytes udp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, const Bytes& payload);
Bytes icmp_echo_frame(const L2& l2, const Ip4& ip, uint16_t id, uint16_t seq, const Bytes& payload);
// ARP over Ethernet/IPv4; op 1 = request, 2 = reply.
Bytes arp_frame(const L2& l2, uint16_t op, const Mac& sender_mac, const char* sender_ip,
                const Mac& target_mac, const char* target_ip);
Bytes ipv6_udp_frame(const L2& l2, const char* src, const char* dst, uint16_t sport,
                     uint16_t dport);

}  // namespace xlbtest

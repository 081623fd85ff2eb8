#include "packet.h"

#include <arpa/inet.h>
#include <tins/tins.h>

#include <memory>
#include <stdexcept>
#include <string_view>

namespace xlbtest {
namespace {

Tins::HWAddress<6> hw(const Mac& m) { return Tins::HWAddress<6>(m.data()); }

// Frames end where their L3 packet ends: libtins pads to the 60-byte Ethernet minimum, which
// the kernel has usually trimmed by the time TC sees a frame; padding is tested explicitly.
Bytes frame(const L2& l2, const Tins::PDU& l3) {
  Tins::EthernetII eth(hw(l2.dst), hw(l2.src));
  size_t length = eth.header_size() + (l2.vlan ? 4 : 0) + l3.size();
  if (l2.vlan) {
    Tins::Dot1Q tag(*l2.vlan, /*append_pad=*/false);
    tag.inner_pdu(l3.clone());
    eth.inner_pdu(tag.clone());
  } else {
    eth.inner_pdu(l3.clone());
  }
  Bytes out = eth.serialize();
  out.resize(length);
  return out;
}

Tins::IP ip_header(const Ip4& spec) {
  Tins::IP ip(spec.dst, spec.src);
  ip.ttl(spec.ttl);
  ip.id(spec.id);
  int flags = (spec.dont_fragment ? Tins::IP::DONT_FRAGMENT : 0) |
              (spec.more_fragments ? Tins::IP::MORE_FRAGMENTS : 0);
  ip.flags(static_cast<Tins::IP::Flags>(flags));
  ip.fragment_offset(spec.frag_offset);
  ip.tos(spec.tos);
  if (spec.noop_options) {
    for (size_t i = 0; i < spec.noop_options; ++i) ip.noop();
    ip.eol();  // libtins pads the option area to a multiple of 4 bytes
  }
  return ip;
}

Tins::IPv6 ipv6_header(const Ip4& spec) {
  Tins::IPv6 ip6(spec.dst, spec.src);
  ip6.hop_limit(spec.ttl);
  ip6.traffic_class(spec.tos);
  return ip6;
}

// The extension header bytes of spec.ext, chained: each names the next, the last `l4_proto`.
Bytes ipv6_ext_headers(const std::vector<uint8_t>& types, uint8_t l4_proto) {
  Bytes out;
  for (size_t i = 0; i < types.size(); ++i) {
    uint8_t next = i + 1 < types.size() ? types[i + 1] : l4_proto;
    switch (types[i]) {
      case 0:
      case 60:  // next, length 0 (8 bytes), PadN of 4 bytes
        out.insert(out.end(), {next, 0, 1, 4, 0, 0, 0, 0});
        break;
      case 43:  // next, length 0, routing type 253 (experimental), segments left 0
        out.insert(out.end(), {next, 0, 253, 0, 0, 0, 0, 0});
        break;
      case 44:  // next, reserved, offset 0 with M set, identification
        out.insert(out.end(), {next, 0, 0, 1, 0, 0, 0x42, 0x42});
        break;
      default:
        throw std::invalid_argument("ipv6_ext_headers: unknown extension header type");
    }
  }
  return out;
}

// Inserts spec.ext after the IPv6 header of an untagged or tagged frame: the L4 checksum does
// not cover extension headers (its pseudo-header length is the upper layer's), so it holds.
void insert_ipv6_ext(Bytes& f, const L2& l2, const Ip4& spec) {
  if (spec.ext.empty()) return;
  size_t l3 = 14 + (l2.vlan ? 4 : 0);
  Bytes ext = ipv6_ext_headers(spec.ext, f[l3 + 6]);
  f[l3 + 6] = spec.ext.front();
  uint16_t plen = static_cast<uint16_t>(((f[l3 + 4] << 8) | f[l3 + 5]) + ext.size());
  f[l3 + 4] = static_cast<uint8_t>(plen >> 8);
  f[l3 + 5] = static_cast<uint8_t>(plen);
  f.insert(f.begin() + static_cast<long>(l3 + 40), ext.begin(), ext.end());
}

Bytes with_l4(const L2& l2, const Ip4& spec, const Tins::PDU& l4) {
  if (is_v6(spec.src)) {
    Tins::IPv6 ip6 = ipv6_header(spec);
    ip6.inner_pdu(l4.clone());
    Bytes f = frame(l2, ip6);
    insert_ipv6_ext(f, l2, spec);
    return f;
  }
  Tins::IP ip = ip_header(spec);
  ip.inner_pdu(l4.clone());
  return frame(l2, ip);
}

}  // namespace

bool is_v6(const char* ip) { return std::string_view(ip).find(':') != std::string_view::npos; }

Bytes tcp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, uint8_t flags,
                uint32_t seq, uint32_t ack, const Bytes& payload,
                const std::vector<SackBlock>& sack) {
  Tins::TCP tcp(dport, sport);
  tcp.flags(flags);
  tcp.seq(seq);
  tcp.ack_seq(ack);
  tcp.window(64240);
  if (!sack.empty()) {
    tcp.add_option(Tins::TCP::option(Tins::TCP::NOP));
    tcp.add_option(Tins::TCP::option(Tins::TCP::NOP));
    Tins::TCP::sack_type edges;
    for (auto [left, right] : sack) {
      edges.push_back(left);
      edges.push_back(right);
    }
    tcp.sack(edges);
  }
  if (!payload.empty()) tcp.inner_pdu(Tins::RawPDU(payload));
  return with_l4(l2, ip, tcp);
}

Bytes udp_frame(const L2& l2, const Ip4& ip, uint16_t sport, uint16_t dport, const Bytes& payload) {
  Tins::UDP udp(dport, sport);
  if (!payload.empty()) udp.inner_pdu(Tins::RawPDU(payload));
  return with_l4(l2, ip, udp);
}

Bytes icmp_echo_frame(const L2& l2, const Ip4& ip, uint16_t id, uint16_t seq,
                      const Bytes& payload) {
  Tins::ICMP icmp(Tins::ICMP::ECHO_REQUEST);
  icmp.id(id);
  icmp.sequence(seq);
  if (!payload.empty()) icmp.inner_pdu(Tins::RawPDU(payload));
  return with_l4(l2, ip, icmp);
}

Bytes icmp_error_frame(const L2& l2, const Ip4& ip, uint8_t type, uint8_t code, uint16_t mtu,
                       const Bytes& quote) {
  Tins::ICMP icmp(static_cast<Tins::ICMP::Flags>(type));
  icmp.code(code);
  if (mtu) icmp.mtu(mtu);
  icmp.inner_pdu(Tins::RawPDU(quote));
  return with_l4(l2, ip, icmp);
}

Bytes ipip_frame(const L2& l2, const Ip4& spec, const Bytes& inner) {
  Tins::IP ip = ip_header(spec);
  ip.protocol(4);  // a raw inner PDU leaves the protocol as set
  ip.inner_pdu(Tins::RawPDU(inner));
  return frame(l2, ip);
}

Bytes proxy_v2_header(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
  Bytes h = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
             0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c};
  for (const char* a : {src, dst}) {
    in_addr addr{};
    if (inet_pton(AF_INET, a, &addr) != 1) throw std::invalid_argument(a);
    auto* b = reinterpret_cast<const uint8_t*>(&addr.s_addr);
    h.insert(h.end(), b, b + 4);
  }
  for (uint16_t port : {sport, dport}) {
    h.push_back(static_cast<uint8_t>(port >> 8));
    h.push_back(static_cast<uint8_t>(port));
  }
  return h;
}

Bytes arp_frame(const L2& l2, uint16_t op, const Mac& sender_mac, const char* sender_ip,
                const Mac& target_mac, const char* target_ip) {
  Tins::ARP arp(target_ip, sender_ip, hw(target_mac), hw(sender_mac));
  arp.opcode(static_cast<Tins::ARP::Flags>(op));
  return frame(l2, arp);
}

Bytes ipv6_udp_frame(const L2& l2, const char* src, const char* dst, uint16_t sport,
                     uint16_t dport) {
  Tins::IPv6 ip6(dst, src);
  ip6.hop_limit(64);  // libtins leaves 0: a packet no router would forward
  ip6.inner_pdu(Tins::UDP(dport, sport));
  return frame(l2, ip6);
}

Bytes icmp6_echo_frame(const L2& l2, const Ip4& ip, uint8_t type, uint16_t id, uint16_t seq,
                       const Bytes& payload) {
  Tins::ICMPv6 icmp(static_cast<Tins::ICMPv6::Types>(type));
  icmp.identifier(id);
  icmp.sequence(seq);
  if (!payload.empty()) icmp.inner_pdu(Tins::RawPDU(payload));
  return with_l4(l2, ip, icmp);
}

Bytes neighbor_solicit_frame(const L2& l2, const Ip4& ip, const char* target, const Mac& sender) {
  Tins::ICMPv6 icmp(Tins::ICMPv6::NEIGHBOUR_SOLICIT);
  icmp.target_addr(target);
  icmp.source_link_layer_addr(hw(sender));
  return with_l4(l2, ip, icmp);
}

Bytes icmp6_error_frame(const L2& l2, const Ip4& ip, uint8_t type, uint8_t code, uint32_t mtu,
                        const Bytes& quote) {
  Tins::ICMPv6 icmp(static_cast<Tins::ICMPv6::Types>(type));
  icmp.code(code);
  // The 4 bytes after the checksum: Packet Too Big's MTU, unused (zero) for the others.
  icmp.identifier(static_cast<uint16_t>(mtu >> 16));
  icmp.sequence(static_cast<uint16_t>(mtu));
  icmp.inner_pdu(Tins::RawPDU(quote));
  return with_l4(l2, ip, icmp);
}

Bytes ip6ip6_frame(const L2& l2, const Ip4& spec, const Bytes& inner) {
  Tins::IPv6 ip6 = ipv6_header(spec);
  ip6.inner_pdu(Tins::RawPDU(inner));
  ip6.next_header(41);  // a raw inner PDU leaves the next header as set
  return frame(l2, ip6);
}

Bytes proxy_v2_header6(const char* src, const char* dst, uint16_t sport, uint16_t dport) {
  Bytes h = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51,
             0x55, 0x49, 0x54, 0x0a, 0x21, 0x21, 0x00, 0x24};
  for (const char* a : {src, dst}) {
    in6_addr addr{};
    if (inet_pton(AF_INET6, a, &addr) != 1) throw std::invalid_argument(a);
    h.insert(h.end(), addr.s6_addr, addr.s6_addr + 16);
  }
  for (uint16_t port : {sport, dport}) {
    h.push_back(static_cast<uint8_t>(port >> 8));
    h.push_back(static_cast<uint8_t>(port));
  }
  return h;
}

}  // namespace xlbtest

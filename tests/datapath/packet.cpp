#include "packet.h"

#include <arpa/inet.h>
#include <tins/tins.h>

#include <memory>
#include <stdexcept>

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

Bytes with_l4(const L2& l2, const Ip4& spec, const Tins::PDU& l4) {
  Tins::IP ip = ip_header(spec);
  ip.inner_pdu(l4.clone());
  return frame(l2, ip);
}

}  // namespace

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
  ip6.inner_pdu(Tins::UDP(dport, sport));
  return frame(l2, ip6);
}

}  // namespace xlbtest

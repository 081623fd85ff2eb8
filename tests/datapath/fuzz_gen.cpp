#include "fuzz_gen.h"

#include <netinet/in.h>

#include <algorithm>

#include "frame.h"
#include "topology.h"

namespace xlbtest::fuzz {
namespace {

constexpr size_t kEthLen = 14;
constexpr uint16_t kFirstClientPort = 40000;
// Few clients and ports, so flows repeat: later packets hit conntrack instead of always
// starting flows, and the table stays small enough to list after every batch.
constexpr uint32_t kClients = 8;
constexpr uint32_t kClientPorts = 64;

size_t l3_offset(const Bytes& f) {
  return f.size() >= kEthLen + 4 && f[12] == 0x81 && f[13] == 0x00 ? kEthLen + 4 : kEthLen;
}

void put16(Bytes& f, size_t off, uint16_t v) {
  if (off + 2 > f.size()) return;
  f[off] = static_cast<uint8_t>(v >> 8);
  f[off + 1] = static_cast<uint8_t>(v);
}

uint16_t get16(const Bytes& f, size_t off) {
  return static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
}

}  // namespace

uint64_t Prng::next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void fix_checksums_if_possible(Bytes& f) {
  if (ip_layout(f)) {
    fix_checksums(f);
    return;
  }
  size_t l3 = l3_offset(f);
  if (f.size() < l3 + 20) return;
  size_t ihl = (f[l3] & 0x0f) * 4u;
  if (ihl >= 20 && l3 + ihl <= f.size()) set_ip_checksum(f, l3, ihl);
}

// The client behind a client-side frame's MAC, in the family of the address it talks to.
Host FrameGen::client_for(const L2& l2, const char* dst) {
  size_t i = l2.src[5] - 100u;
  return is_v6(dst) ? client_host6(i) : client_host(i);
}

L2 FrameGen::l2_from_client() {
  Host c = client_host(rng_.below(kClients));
  L2 l2{c.mac, kLbCliMac, std::nullopt};
  if (rng_.chance(15)) l2.vlan = static_cast<uint16_t>(rng_.below(4095));
  return l2;
}

Ip4 FrameGen::ip(const char* src, const char* dst) {
  Ip4 ip{src, dst};
  if (rng_.chance(5)) ip.ttl = static_cast<uint8_t>(rng_.below(3));  // 0, 1 or 2
  ip.id = static_cast<uint16_t>(rng_.next());
  ip.dont_fragment = rng_.chance(50);
  if (rng_.chance(15)) ip.noop_options = 1 + rng_.below(39);
  if (rng_.chance(10)) ip.tos = rng_.byte();
  if (is_v6(src) && rng_.chance(15)) {  // IPv6 extension headers, a fragment header at times
    static constexpr uint8_t kExt[] = {0, 60, 43, 60, 0, 44};
    for (uint32_t n = 1 + rng_.below(5); n > 0; --n) ip.ext.push_back(kExt[rng_.below(6)]);
  }
  return ip;
}

uint8_t FrameGen::tcp_flags() {
  uint32_t pick = rng_.below(10);
  if (pick < 4) return tcpf::SYN;
  if (pick < 6) return tcpf::ACK | (rng_.chance(50) ? tcpf::PSH : 0);
  return rng_.byte();  // every combination, including the nonsensical ones
}

Bytes FrameGen::payload() {
  uint32_t pick = rng_.below(100);
  size_t n = pick < 70 ? 0 : pick < 95 ? 1 + rng_.below(64) : 1300 + rng_.below(180);
  Bytes p(n);
  for (auto& b : p) b = rng_.byte();
  return p;
}

Frame FrameGen::client_to_rule(uint8_t proto) {
  std::vector<const FuzzRule*> same;
  for (const auto& r : rules_)
    if (r.proto == proto) same.push_back(&r);
  const FuzzRule& rule = *same[rng_.below(static_cast<uint32_t>(same.size()))];
  L2 l2 = l2_from_client();
  // The client's address is the one whose MAC l2 carries (client_host(i) has MAC ...:(100+i)).
  Host c = client_for(l2, rule.vip);
  uint16_t dport = rng_.chance(90) ? rule.port : static_cast<uint16_t>(rng_.next());
  const char* vip = rng_.chance(95)   ? rule.vip
                    : is_v6(rule.vip) ? (rng_.chance(50) ? kVip6 : kVip6b)
                                      : (rng_.chance(50) ? kVip : kVip2);
  uint16_t sport = static_cast<uint16_t>(kFirstClientPort + rng_.below(kClientPorts));
  Ip4 hdr = ip(c.ip, vip);
  if (proto == IPPROTO_TCP) {
    uint8_t flags = tcp_flags();
    uint32_t seq = static_cast<uint32_t>(rng_.next());
    return {tcp_frame(l2, hdr, sport, dport, flags, seq, (flags & tcpf::ACK) ? seq ^ 0x5a5a : 0,
                      payload())};
  }
  Frame f{udp_frame(l2, hdr, sport, dport, payload())};
  auto l = ip_layout(f.bytes);
  if (rng_.chance(10) && l && l->proto == IPPROTO_UDP)
    put16(f.bytes, l->l4 + 6, 0);  // "no checksum" (invalid over IPv6)
  return f;
}

Frame FrameGen::endpoint_reply(const OpenFlow& f) {
  L2 l2{f.ep_mac, kLbBeMac, std::nullopt};
  if (rng_.chance(10)) l2.vlan = static_cast<uint16_t>(rng_.below(4095));
  Ip4 hdr = ip(f.ep_ip.c_str(), f.peer_ip.c_str());
  if (f.proto == IPPROTO_TCP) {
    uint8_t flags = rng_.chance(60) ? (tcpf::ACK | (rng_.chance(30) ? tcpf::SYN : 0)) : rng_.byte();
    return {tcp_frame(l2, hdr, f.ep_port, f.peer_port, flags, static_cast<uint32_t>(rng_.next()),
                      static_cast<uint32_t>(rng_.next()), payload()),
            true};
  }
  return {udp_frame(l2, hdr, f.ep_port, f.peer_port, payload()), true};
}

// A packet of flow f as the endpoint received it from the LB (peer -> endpoint, one hop on).
Bytes FrameGen::packet_at_endpoint(const OpenFlow& f) {
  L2 none{kLbBeMac, f.ep_mac, std::nullopt};
  Ip4 quoted{f.peer_ip.c_str(), f.ep_ip.c_str()};
  quoted.ttl = 63;
  Bytes sent = f.proto == IPPROTO_TCP ? tcp_frame(none, quoted, f.peer_port, f.ep_port, tcpf::ACK,
                                                  static_cast<uint32_t>(rng_.next()), 1, payload())
                                      : udp_frame(none, quoted, f.peer_port, f.ep_port, payload());
  return ip_packet(sent);
}

// ICMPv6 errors about a v6 flow: the packet the endpoint received, quoted up to its ports, whole,
// or cut too short, from the endpoint or a router, of each error type.
Frame FrameGen::icmp6_error_about(const OpenFlow& f) {
  Bytes quote = packet_at_endpoint(f);
  uint32_t cut = rng_.below(10);
  if (cut < 5)
    quote.resize(std::min<size_t>(quote.size(), 48));
  else if (cut == 5)
    quote.resize(rng_.below(48));  // too short to name a flow
  else if (cut == 6)
    quote.resize(std::min<size_t>(quote.size(), 1232));
  const char* from = rng_.chance(75) ? f.ep_ip.c_str() : kEndpoints6[3].ip;
  Ip4 outer = ip(from, f.peer_ip.c_str());
  outer.ext.clear();
  uint8_t type = static_cast<uint8_t>(1 + rng_.below(4));
  return {icmp6_error_frame({f.ep_mac, kLbBeMac, std::nullopt}, outer, type,
                            static_cast<uint8_t>(rng_.below(8)), 1280 + rng_.below(200), quote),
          true};
}

Frame FrameGen::icmp_error_about(const OpenFlow& f) {
  if (is_v6(f.ep_ip.c_str())) return icmp6_error_about(f);
  // What the endpoint received from the LB (peer -> endpoint), quoted as RFC 792 asks (IP header
  // + 8 bytes) or whole, as Linux does.
  Bytes quote = packet_at_endpoint(f);
  uint32_t cut = rng_.below(10);
  if (cut < 6)
    quote.resize(28);
  else if (cut == 6)
    quote.resize(rng_.below(28));  // too short to name a flow
  // From the endpoint itself, or from a router between the LB and the endpoint.
  const char* from = rng_.chance(75) ? f.ep_ip.c_str() : kEndpoints[3].ip;
  Ip4 outer = ip(from, f.peer_ip.c_str());
  outer.noop_options = 0;
  uint8_t type = rng_.chance(80) ? 3 : 11;
  uint8_t code = static_cast<uint8_t>(rng_.below(16));
  uint16_t mtu = type == 3 && code == 4 ? static_cast<uint16_t>(576 + rng_.below(1000)) : 0;
  return {icmp_error_frame({f.ep_mac, kLbBeMac, std::nullopt}, outer, type, code, mtu, quote),
          true};
}

Frame FrameGen::icmp_error_about_nothing() {
  Ip4 quoted{kEndpoints[rng_.below(2)].ip, kClient.ip};
  Bytes sent = rng_.chance(50) ? tcp_frame({}, quoted, static_cast<uint16_t>(rng_.next()),
                                           static_cast<uint16_t>(rng_.next()), tcpf::ACK, 1, 1)
                               : udp_frame({}, quoted, static_cast<uint16_t>(rng_.next()),
                                           static_cast<uint16_t>(rng_.next()), {});
  Bytes quote = ip_packet(sent);
  quote.resize(28);
  Ip4 outer = ip(kEndpoints[rng_.below(2)].ip, rng_.chance(50) ? kClient.ip : kLbBeIp);
  return {icmp_error_frame({kEndpoints[0].mac, kLbBeMac, std::nullopt}, outer, 3,
                           static_cast<uint8_t>(rng_.below(16)), 0, quote),
          rng_.chance(80)};
}

Frame FrameGen::echo() {
  static constexpr const char* kTargets[] = {kVip, kVip2, kLbCliIp, "10.0.1.250"};
  static constexpr const char* kTargets6[] = {kVip6, kVip6b, kLbCliIp6, "fd00:1::250"};
  L2 l2 = l2_from_client();
  Bytes data(rng_.below(64));
  for (auto& b : data) b = rng_.byte();
  if (rng_.chance(40)) {
    const char* dst = kTargets6[rng_.below(4)];
    return {icmp6_echo_frame(l2, ip(client_for(l2, dst).ip, dst), 128,
                             static_cast<uint16_t>(rng_.next()), static_cast<uint16_t>(rng_.next()),
                             data)};
  }
  Host c = client_host(l2.src[5] - 100);
  return {icmp_echo_frame(l2, ip(c.ip, kTargets[rng_.below(4)]), static_cast<uint16_t>(rng_.next()),
                          static_cast<uint16_t>(rng_.next()), data)};
}

Frame FrameGen::arp() {
  static constexpr const char* kTargets[] = {kVip, kVip2, kLbCliIp, "10.0.1.250"};
  static constexpr const char* kTargets6[] = {kVip6, kVip6b, kLbCliIp6, "fd00:1::250"};
  L2 l2 = l2_from_client();
  if (rng_.chance(40)) {  // IPv6's ARP: a Neighbor Solicitation, mostly well-formed
    const char* target = kTargets6[rng_.below(4)];
    Ip4 hdr{client_for(l2, kVip6).ip, rng_.chance(80) ? "ff02::1:ff00:200" : target};
    hdr.ttl = rng_.chance(85) ? 255 : rng_.byte();
    if (rng_.chance(5)) hdr.src = "::";
    return {neighbor_solicit_frame(l2, hdr, target, l2.src)};
  }
  Host c = client_host(l2.src[5] - 100);
  l2.dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  uint16_t op = rng_.chance(85) ? 1 : static_cast<uint16_t>(rng_.below(4));
  return {arp_frame(l2, op, c.mac, c.ip, {}, kTargets[rng_.below(4)])};
}

Frame FrameGen::other_ethertype() {
  L2 l2 = l2_from_client();
  if (rng_.chance(40)) return {ipv6_udp_frame(l2, "fd00::1", "fd00::2", 40000, 80)};
  // A random ethertype, or 802.1Q inside 802.1Q (QinQ is not parsed), over IPv4-looking bytes.
  Bytes f(kEthLen + 20 + rng_.below(60));
  for (auto& b : f) b = rng_.byte();
  std::copy(l2.dst.begin(), l2.dst.end(), f.begin());
  std::copy(l2.src.begin(), l2.src.end(), f.begin() + 6);
  put16(f, 12, rng_.chance(30) ? 0x8100 : static_cast<uint16_t>(rng_.next()));
  if (get16(f, 12) == 0x8100) put16(f, 16, rng_.chance(50) ? 0x8100 : 0x86dd);
  f[kEthLen + 4] = 0x45;
  return {f};
}

Frame FrameGen::not_for_a_vip() {
  static constexpr const char* kTargets[] = {kLbCliIp,  "10.0.1.250",  "192.0.2.1", kLbBeIp,
                                             kLbCliIp6, "fd00:1::250", kLbBeIp6,    "2001:db8::1"};
  L2 l2 = l2_from_client();
  const char* dst = kTargets[rng_.below(8)];
  Host c = client_for(l2, dst);
  uint16_t port = rng_.chance(50) ? 80 : static_cast<uint16_t>(rng_.next());
  if (rng_.chance(50))
    return {tcp_frame(l2, ip(c.ip, dst), 40000, port, tcp_flags(), 1, 0, payload())};
  return {udp_frame(l2, ip(c.ip, dst), 40000, port, payload())};
}

Frame FrameGen::garbage() {
  Bytes f(kEthLen + 1 + rng_.below(120));
  for (auto& b : f) b = rng_.byte();
  const bool v6 = rng_.chance(30);
  if (rng_.chance(60)) put16(f, 12, v6 ? 0x86dd : 0x0800);
  if (rng_.chance(50) && f.size() > kEthLen) f[kEthLen] = v6 ? 0x60 : 0x45;
  if (rng_.chance(50)) fix_checksums_if_possible(f);
  return {f, rng_.chance(50)};
}

void FrameGen::mutate(Bytes& f) {
  size_t l3 = l3_offset(f);
  for (uint32_t n = 1 + rng_.below(3); n > 0 && !f.empty(); --n) {
    size_t head = std::min<size_t>(f.size(), 96);
    switch (rng_.below(10)) {
      case 0:  // truncated anywhere
        f.resize(1 + rng_.below(static_cast<uint32_t>(f.size())));
        break;
      case 1:  // a flipped bit in the headers
        f[rng_.below(static_cast<uint32_t>(head))] ^= static_cast<uint8_t>(1u << rng_.below(8));
        break;
      case 2: {  // an interesting byte value in the headers
        static constexpr uint8_t kValues[] = {0x00, 0x01, 0x05, 0x45, 0x4f, 0x7f, 0x80, 0xff};
        f[rng_.below(static_cast<uint32_t>(head))] = kValues[rng_.below(8)];
        break;
      }
      case 3:  // bad IHL
        if (f.size() > l3) f[l3] = static_cast<uint8_t>((f[l3] & 0xf0) | rng_.below(16));
        break;
      case 4: {  // total length (IPv6: payload length) off by a little, or anything
        const size_t at = l3 + (f.size() > l3 && f[l3] >> 4 == 6 ? 4 : 2);
        if (f.size() < at + 2) break;
        uint16_t tot = get16(f, at);
        put16(f, at,
              rng_.chance(50) ? static_cast<uint16_t>(tot + rng_.below(41) - 20)
                              : static_cast<uint16_t>(rng_.next()));
        break;
      }
      case 5:  // a fragment: MF, an offset, or both
        if (f.size() >= l3 + 8) {
          uint16_t frag = static_cast<uint16_t>((rng_.chance(50) ? 0x2000 : 0) |
                                                (rng_.chance(50) ? rng_.below(0x2000) : 0));
          put16(f, l3 + 6, static_cast<uint16_t>((get16(f, l3 + 6) & 0x4000) | frag));
        }
        break;
      case 6:  // Ethernet padding or trailing junk after the IPv4 packet
        for (uint32_t i = 1 + rng_.below(40); i > 0; --i) f.push_back(rng_.byte());
        break;
      case 7: {  // L4 length fields: TCP data offset, UDP length
        size_t ihl = f.size() > l3 ? (f[l3] & 0x0f) * 4u : 0;
        size_t l4 = l3 + ihl;
        if (f.size() > l3 + 9 && f[l3 + 9] == IPPROTO_TCP && f.size() > l4 + 12)
          f[l4 + 12] = static_cast<uint8_t>((rng_.below(16) << 4) | (f[l4 + 12] & 0x0f));
        else if (f.size() >= l4 + 6)
          put16(f, l4 + 4, static_cast<uint16_t>(rng_.below(200)));
        break;
      }
      case 8:  // IP version
        if (f.size() > l3) f[l3] = static_cast<uint8_t>((rng_.below(16) << 4) | (f[l3] & 0x0f));
        break;
      default:  // any byte anywhere
        f[rng_.below(static_cast<uint32_t>(f.size()))] = rng_.byte();
        break;
    }
  }
  if (rng_.chance(75)) fix_checksums_if_possible(f);
}

Frame FrameGen::next(const std::vector<OpenFlow>& flows) {
  uint32_t pick = rng_.below(100);
  Frame f;
  if (pick < 30)
    f = client_to_rule(IPPROTO_TCP);
  else if (pick < 40)
    f = client_to_rule(IPPROTO_UDP);
  else if (pick < 55 && !flows.empty())
    f = endpoint_reply(flows[rng_.below(static_cast<uint32_t>(flows.size()))]);
  else if (pick < 63 && !flows.empty())
    f = icmp_error_about(flows[rng_.below(static_cast<uint32_t>(flows.size()))]);
  else if (pick < 67)
    f = icmp_error_about_nothing();
  else if (pick < 72)
    f = echo();
  else if (pick < 76)
    f = arp();
  else if (pick < 80)
    f = other_ethertype();
  else if (pick < 85)
    f = not_for_a_vip();
  else if (pick < 90)
    return garbage();
  else
    f = client_to_rule(rng_.chance(70) ? IPPROTO_TCP : IPPROTO_UDP);
  if (rng_.chance(50)) mutate(f.bytes);
  return f;
}

std::vector<Frame> FrameGen::templates(const std::vector<OpenFlow>& flows) {
  L2 tagged{kClient.mac, kLbCliMac, 42};
  Ip4 with_options{kClient.ip, kVip};
  with_options.noop_options = 7;
  Ip4 with_ext{kClient6.ip, kVip6};
  with_ext.ext = {0, 43, 60};
  Ip4 ns_hdr{kClient6.ip, "ff02::1:ff00:200"};
  ns_hdr.ttl = 255;
  std::vector<Frame> out = {
      {tcp_frame(tagged, with_options, 40000, 80, tcpf::SYN, 1, 0, Bytes(16, 0xab))},
      {udp_frame({kClient.mac, kLbCliMac, std::nullopt}, {kClient.ip, kVip}, 40001, 53,
                 Bytes(12, 0xcd))},
      {icmp_echo_frame({kClient.mac, kLbCliMac, std::nullopt}, {kClient.ip, kVip}, 7, 1,
                       Bytes(8, 0xef))},
      {arp_frame({kClient.mac, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, std::nullopt}, 1, kClient.mac,
                 kClient.ip, {}, kVip)},
      {tcp_frame(tagged, with_ext, 40000, 80, tcpf::SYN, 1, 0, Bytes(16, 0xab))},
      {neighbor_solicit_frame({kClient6.mac, kLbCliMac, std::nullopt}, ns_hdr, kVip6,
                              kClient6.mac)},
      {icmp6_echo_frame({kClient6.mac, kLbCliMac, std::nullopt}, {kClient6.ip, kVip6}, 128, 7, 1,
                        Bytes(8, 0xef))},
  };
  for (const auto& f : flows) {
    if (f.proto != IPPROTO_TCP || !is_v6(f.ep_ip.c_str())) continue;
    Bytes quote = ip_packet(tcp_frame({}, {f.peer_ip.c_str(), f.ep_ip.c_str()}, f.peer_port,
                                      f.ep_port, tcpf::ACK, 1001, 5000, Bytes(20, 0x22)));
    out.push_back({icmp6_error_frame({f.ep_mac, kLbBeMac, std::nullopt},
                                     {f.ep_ip.c_str(), f.peer_ip.c_str()}, 2, 0, 1280, quote),
                   true});
    break;
  }
  for (const auto& f : flows) {
    if (f.proto != IPPROTO_TCP || is_v6(f.ep_ip.c_str())) continue;
    out.push_back(
        {tcp_frame({f.ep_mac, kLbBeMac, std::nullopt}, {f.ep_ip.c_str(), f.peer_ip.c_str()},
                   f.ep_port, f.peer_port, tcpf::ACK, 5000, 1001, Bytes(10, 0x11)),
         true});
    Bytes quote = ip_packet(tcp_frame({}, {f.peer_ip.c_str(), f.ep_ip.c_str()}, f.peer_port,
                                      f.ep_port, tcpf::ACK, 1001, 5000, Bytes(20, 0x22)));
    out.push_back({icmp_error_frame({f.ep_mac, kLbBeMac, std::nullopt},
                                    {f.ep_ip.c_str(), f.peer_ip.c_str()}, 3, 4, 1280, quote),
                   true});
    break;
  }
  return out;
}

std::vector<Frame> FrameGen::every_tcp_flag_combination() {
  std::vector<Frame> out;
  for (const auto& r : rules_) {
    if (r.proto != IPPROTO_TCP) continue;
    const char* client = is_v6(r.vip) ? kClient6b.ip : kClient2.ip;
    for (unsigned flags = 0; flags < 256; ++flags)
      out.push_back(
          {tcp_frame({kClient2.mac, kLbCliMac, std::nullopt}, {client, r.vip},
                     static_cast<uint16_t>(kFirstClientPort + flags % kClientPorts), r.port,
                     static_cast<uint8_t>(flags), 1000 + flags, (flags & tcpf::ACK) ? 1 : 0)});
  }
  return out;
}

}  // namespace xlbtest::fuzz

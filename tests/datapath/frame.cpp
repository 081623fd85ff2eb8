#include "frame.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <span>
#include <stdexcept>
#include <string_view>

#include "checksum.h"

namespace xlbtest {
namespace {

constexpr size_t kEthLen = kEthHeaderLen;
constexpr size_t kVlanLen = 4;

uint16_t get16(const Bytes& f, size_t off) { return be16_at(f, off); }
uint32_t get32(const Bytes& f, size_t off) {
  return uint32_t{get16(f, off)} << 16 | get16(f, off + 2);
}
void put16(Bytes& f, size_t off, uint16_t v) {
  f[off] = static_cast<uint8_t>(v >> 8);
  f[off + 1] = static_cast<uint8_t>(v);
}

// Offset of the ethertype after at most one VLAN tag, and the ethertype.
std::pair<size_t, uint16_t> ethertype(const Bytes& f) {
  if (f.size() < kEthLen) return {0, 0};
  uint16_t type = get16(f, 12);
  if (type == 0x8100 && f.size() >= kEthLen + kVlanLen) return {kEthLen + kVlanLen, get16(f, 16)};
  return {kEthLen, type};
}

uint64_t pseudo(const Bytes& f, const Layout& l) {
  if (l.v6)
    return csum::pseudo_header6(std::span<const uint8_t, 16>(&f[l.l3 + 8], 16),
                                std::span<const uint8_t, 16>(&f[l.l3 + 24], 16), l.proto,
                                static_cast<uint32_t>(l.ip_end - l.l4));
  return csum::pseudo_header(std::span<const uint8_t, 4>(&f[l.l3 + 12], 4),
                             std::span<const uint8_t, 4>(&f[l.l3 + 16], 4), l.proto,
                             static_cast<uint16_t>(l.ip_end - l.l4));
}

// ICMP (IPv4) is the one checksum without a pseudo-header; ICMPv6 has one.
uint64_t l4_pseudo(const Bytes& f, const Layout& l) {
  return l.proto == IPPROTO_ICMP ? 0 : pseudo(f, l);
}

// Where the addresses and the TTL/hop limit sit, by family.
size_t saddr_off(const Layout& l) { return l.l3 + (l.v6 ? 8 : 12); }
size_t daddr_off(const Layout& l) { return l.l3 + (l.v6 ? 24 : 16); }
size_t addr_len(const Layout& l) { return l.v6 ? 16 : 4; }
size_t ttl_off(const Layout& l) { return l.l3 + (l.v6 ? 7 : 8); }

// Offset of the L4 checksum field, or 0 when the protocol has none we check.
size_t l4_csum_offset(const Layout& l) {
  switch (l.proto) {
    case IPPROTO_TCP:
      return l.l4 + 16;
    case IPPROTO_UDP:
      return l.l4 + 6;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
      return l.l4 + 2;
    default:
      return 0;
  }
}

std::span<const uint8_t> l4_span(const Bytes& f, const Layout& l) {
  return {f.data() + l.l4, l.ip_end - l.l4};
}

std::string hex(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}
std::string dec(uint64_t v) { return std::to_string(v); }
std::string mac_at(const Bytes& f, size_t off) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", f[off], f[off + 1], f[off + 2],
                f[off + 3], f[off + 4], f[off + 5]);
  return buf;
}
std::string ip_at(const Bytes& f, size_t off) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &f[off], buf, sizeof buf);
  return buf;
}
std::string ip6_at(const Bytes& f, size_t off) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &f[off], buf, sizeof buf);
  return buf;
}

bool is_ipv6_ext(uint8_t next) { return next == 0 || next == 43 || next == 60; }

// The IPv6 packet at l3, read no further than `end` (a quoted packet may be cut short), its
// extension headers walked.
std::optional<Layout> ipv6_layout_within(const Bytes& f, size_t l3, size_t end) {
  if (end > f.size() || end < l3 + 40 || (f[l3] >> 4) != 6) return std::nullopt;
  size_t ip_end = std::min(end, l3 + 40 + get16(f, l3 + 4));
  uint8_t next = f[l3 + 6];
  size_t p = l3 + 40;
  while (is_ipv6_ext(next) && p + 8 <= ip_end) {
    next = f[p];
    p += (f[p + 1] + 1u) * 8;
  }
  if (p > ip_end) return std::nullopt;
  return Layout{l3, p, ip_end, next, true};
}
std::string bytes_at(const Bytes& f, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to && i < f.size(); ++i) s += hex(f[i], 2).substr(2);
  return s.empty() ? "(none)" : s;
}

}  // namespace

std::optional<Layout> ipv4_layout(const Bytes& f) {
  auto [l3, type] = ethertype(f);
  if (type != 0x0800 || f.size() < l3 + 20) return std::nullopt;
  size_t ihl = (f[l3] & 0x0f) * 4u;
  size_t tot = get16(f, l3 + 2);
  if ((f[l3] >> 4) != 4 || ihl < 20 || tot < ihl || l3 + tot > f.size()) return std::nullopt;
  return Layout{l3, l3 + ihl, l3 + tot, f[l3 + 9]};
}

std::optional<Layout> ip_layout(const Bytes& f) {
  auto [l3, type] = ethertype(f);
  if (type != 0x86dd) return ipv4_layout(f);
  if (f.size() < l3 + 40 || l3 + 40 + get16(f, l3 + 4) > f.size()) return std::nullopt;
  return ipv6_layout_within(f, l3, f.size());
}

std::vector<uint8_t> ip_bytes(const char* text) {
  if (std::string_view(text).find(':') == std::string_view::npos) {
    uint32_t be = ip_be(text);
    auto* p = reinterpret_cast<const uint8_t*>(&be);
    return {p, p + 4};
  }
  in6_addr a{};
  if (inet_pton(AF_INET6, text, &a) != 1) throw std::invalid_argument(text);
  return {a.s6_addr, a.s6_addr + 16};
}

uint16_t be16_at(const Bytes& frame, size_t off) {
  return static_cast<uint16_t>(frame.at(off) << 8 | frame.at(off + 1));
}

uint32_t ip_be(const char* dotted) {
  in_addr a{};
  if (inet_pton(AF_INET, dotted, &a) != 1) throw std::invalid_argument(dotted);
  return a.s_addr;
}

void fix_checksums(Bytes& f) {
  auto l = ip_layout(f);
  if (!l) throw std::invalid_argument("fix_checksums: not a well-formed IP frame");
  if (!l->v6) set_ip_checksum(f, l->l3, l->l4 - l->l3);
  size_t off = l4_csum_offset(*l);
  if (!off || off + 2 > l->ip_end) return;
  if (l->proto == IPPROTO_UDP && get16(f, off) == 0) return;
  put16(f, off, 0);
  uint64_t acc = l4_pseudo(f, *l);
  uint16_t sum = csum::checksum(l4_span(f, *l), acc);
  if (l->proto == IPPROTO_UDP && sum == 0) sum = 0xffff;  // 0 means "no checksum" in UDP
  put16(f, off, sum);
}

void set_ip_checksum(Bytes& f, size_t l3, size_t header_len) {
  put16(f, l3 + 10, 0);
  put16(f, l3 + 10, csum::checksum({f.data() + l3, header_len}));
}

Rewrite::Rewrite(Bytes frame) : f_(std::move(frame)) {
  auto l = ip_layout(f_);
  if (!l) throw std::invalid_argument("Rewrite: not a well-formed IP frame");
  l_ = *l;
}
Rewrite& Rewrite::eth_src(const Mac& m) {
  std::copy(m.begin(), m.end(), f_.begin() + 6);
  return *this;
}
Rewrite& Rewrite::eth_dst(const Mac& m) {
  std::copy(m.begin(), m.end(), f_.begin());
  return *this;
}
Rewrite& Rewrite::swap_macs() {
  std::swap_ranges(f_.begin(), f_.begin() + 6, f_.begin() + 6);
  return *this;
}
Rewrite& Rewrite::saddr(const char* ip) {
  auto b = ip_bytes(ip);
  if (b.size() != addr_len(l_)) throw std::invalid_argument("Rewrite::saddr: family differs");
  std::copy(b.begin(), b.end(), f_.begin() + static_cast<long>(saddr_off(l_)));
  return *this;
}
Rewrite& Rewrite::daddr(const char* ip) {
  auto b = ip_bytes(ip);
  if (b.size() != addr_len(l_)) throw std::invalid_argument("Rewrite::daddr: family differs");
  std::copy(b.begin(), b.end(), f_.begin() + static_cast<long>(daddr_off(l_)));
  return *this;
}
Rewrite& Rewrite::swap_addrs() {
  std::swap_ranges(f_.begin() + static_cast<long>(saddr_off(l_)),
                   f_.begin() + static_cast<long>(daddr_off(l_)),
                   f_.begin() + static_cast<long>(daddr_off(l_)));
  return *this;
}
Rewrite& Rewrite::sport(uint16_t port) {
  put16(f_, l_.l4, port);
  return *this;
}
Rewrite& Rewrite::dport(uint16_t port) {
  put16(f_, l_.l4 + 2, port);
  return *this;
}
Rewrite& Rewrite::ttl(uint8_t ttl) {
  f_[ttl_off(l_)] = ttl;
  return *this;
}
Rewrite& Rewrite::dec_ttl() { return ttl(static_cast<uint8_t>(f_[ttl_off(l_)] - 1)); }
Rewrite& Rewrite::icmp_type(uint8_t type, uint8_t code) {
  f_[l_.l4] = type;
  f_[l_.l4 + 1] = code;
  return *this;
}
Bytes Rewrite::build() const {
  Bytes out = f_;
  fix_checksums(out);
  return out;
}

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

bool is_icmp_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// The IPv4 packet at l3, read no further than `end`: a quoted packet may be cut short.
std::optional<Layout> ipv4_layout_within(const Bytes& f, size_t l3, size_t end) {
  if (end > f.size() || end < l3 + 20 || (f[l3] >> 4) != 4) return std::nullopt;
  size_t ihl = (f[l3] & 0x0f) * 4u;
  if (ihl < 20 || l3 + ihl > end) return std::nullopt;
  return Layout{l3, l3 + ihl, std::min(end, l3 + get16(f, l3 + 2)), f[l3 + 9]};
}

void describe_ip(const Bytes& f, size_t l3, size_t end, const std::string& prefix, Fields& d);

bool is_icmp6_error(uint8_t type) { return type >= 1 && type <= 4; }

// Fields of the L4 header at l.l4 (bounded by l.ip_end) and what follows; an ICMP or ICMPv6
// error's quoted packet and a tunnelled packet are described too.
void describe_l4(const Bytes& f, const Layout& l, const std::string& prefix, Fields& d) {
  auto add = [&](const char* name, std::string value) {
    d.emplace_back(prefix + name, std::move(value));
  };
  size_t p = l.l4;
  size_t end = l.ip_end;
  if (l.proto == 4 || l.proto == 41) {  // IPIP, IPv6-in-IPv6
    describe_ip(f, p, end, prefix + "inner.", d);
    return;
  }
  const bool icmp = l.proto == IPPROTO_ICMP || l.proto == IPPROTO_ICMPV6;
  if (l.proto == IPPROTO_TCP && end >= p + 20) {
    size_t doff = std::max<size_t>(20, (f[p + 12] >> 4) * 4u);
    add("tcp.sport", dec(get16(f, p)));
    add("tcp.dport", dec(get16(f, p + 2)));
    add("tcp.seq", dec(get32(f, p + 4)));
    add("tcp.ack", dec(get32(f, p + 8)));
    add("tcp.doff/flags", hex(get16(f, p + 12), 4));
    add("tcp.window", dec(get16(f, p + 14)));
    add("tcp.csum", hex(get16(f, p + 16), 4));
    add("tcp.urg", dec(get16(f, p + 18)));
    add("tcp.options", bytes_at(f, p + 20, std::min(end, p + doff)));
    p = std::min(end, p + doff);
  } else if (l.proto == IPPROTO_UDP && end >= p + 8) {
    add("udp.sport", dec(get16(f, p)));
    add("udp.dport", dec(get16(f, p + 2)));
    add("udp.len", dec(get16(f, p + 4)));
    add("udp.csum", hex(get16(f, p + 6), 4));
    p += 8;
  } else if (icmp && end >= p + 8) {
    add("icmp.type", dec(f[p]));
    add("icmp.code", dec(f[p + 1]));
    add("icmp.csum", hex(get16(f, p + 2), 4));
    add("icmp.id", dec(get16(f, p + 4)));
    add("icmp.seq", dec(get16(f, p + 6)));
    if (l.v6 ? is_icmp6_error(f[p]) : is_icmp_error(f[p])) {
      describe_ip(f, p + 8, end, prefix + "quote.", d);
      return;
    }
    p += 8;
  } else if (icmp && end >= p + 4) {
    add("icmp.type", dec(f[p]));
    add("icmp.code", dec(f[p + 1]));
  }
  add("l4.payload", bytes_at(f, p, end));
}

// Fields of the IPv4 packet at l3 (bounded by `end`) and its L4 header, named with `prefix`.
void describe_ipv4(const Bytes& f, size_t l3, size_t end, const std::string& prefix, Fields& d) {
  auto l = ipv4_layout_within(f, l3, end);
  if (!l) {
    d.emplace_back(prefix + "payload", bytes_at(f, l3, end));
    return;
  }
  auto add = [&](const char* name, std::string value) {
    d.emplace_back(prefix + name, std::move(value));
  };
  add("ip.version/ihl", hex(f[l3], 2));
  add("ip.tos", hex(f[l3 + 1], 2));
  add("ip.tot_len", dec(get16(f, l3 + 2)));
  add("ip.id", hex(get16(f, l3 + 4), 4));
  add("ip.frag", hex(get16(f, l3 + 6), 4));
  add("ip.ttl", dec(f[l3 + 8]));
  add("ip.proto", dec(f[l3 + 9]));
  add("ip.csum", hex(get16(f, l3 + 10), 4));
  add("ip.saddr", ip_at(f, l3 + 12));
  add("ip.daddr", ip_at(f, l3 + 16));
  add("ip.options", bytes_at(f, l3 + 20, l->l4));
  describe_l4(f, *l, prefix, d);
}

// The same for an IPv6 packet: its header, extension headers (as bytes) and L4 header.
void describe_ipv6(const Bytes& f, size_t l3, size_t end, const std::string& prefix, Fields& d) {
  auto l = ipv6_layout_within(f, l3, end);
  if (!l) {
    d.emplace_back(prefix + "payload", bytes_at(f, l3, end));
    return;
  }
  auto add = [&](const char* name, std::string value) {
    d.emplace_back(prefix + name, std::move(value));
  };
  add("ip6.version/class/flow", hex(get32(f, l3), 8));
  add("ip6.payload_len", dec(get16(f, l3 + 4)));
  add("ip6.next", dec(f[l3 + 6]));
  add("ip6.hop_limit", dec(f[l3 + 7]));
  add("ip6.saddr", ip6_at(f, l3 + 8));
  add("ip6.daddr", ip6_at(f, l3 + 24));
  add("ip6.ext", bytes_at(f, l3 + 40, l->l4));
  describe_l4(f, *l, prefix, d);
}

void describe_ip(const Bytes& f, size_t l3, size_t end, const std::string& prefix, Fields& d) {
  if (end > l3 && (f[l3] >> 4) == 6)
    describe_ipv6(f, l3, end, prefix, d);
  else
    describe_ipv4(f, l3, end, prefix, d);
}

// Checksums of the IP packet at l3 (bounded by `end`, `what` names it in failures): the IPv4
// header always; the L4 checksum when the packet is complete. A tunnelled packet and an ICMP or
// ICMPv6 error's quoted packet are verified the same way.
::testing::AssertionResult ip_checksums_valid(const Bytes& f, size_t l3, size_t end,
                                              const std::string& what) {
  const bool v6 = end > l3 && (f[l3] >> 4) == 6;
  auto l = v6 ? ipv6_layout_within(f, l3, end) : ipv4_layout_within(f, l3, end);
  if (!l) return ::testing::AssertionFailure() << what << ": not an IP packet";
  if (!v6 && !csum::verifies({f.data() + l->l3, l->l4 - l->l3}))
    return ::testing::AssertionFailure() << what << ": IPv4 header checksum "
                                         << hex(get16(f, l->l3 + 10), 4) << " does not verify";
  size_t full_end = l->l3 + (v6 ? 40 + get16(f, l->l3 + 4) : get16(f, l->l3 + 2));
  if (l->ip_end < full_end) return ::testing::AssertionSuccess();  // cut short
  if (l->proto == 4 || l->proto == 41)
    return ip_checksums_valid(f, l->l4, l->ip_end, what + " inner packet");
  size_t off = l4_csum_offset(*l);
  if (!off) return ::testing::AssertionSuccess();
  if (off + 2 > l->ip_end) return ::testing::AssertionFailure() << what << ": L4 header truncated";
  if (l->proto == IPPROTO_UDP && get16(f, off) == 0 && !v6) return ::testing::AssertionSuccess();
  if (!csum::verifies(l4_span(f, *l), l4_pseudo(f, *l)))
    return ::testing::AssertionFailure() << what << ": L4 (proto " << int{l->proto} << ") checksum "
                                         << hex(get16(f, off), 4) << " does not verify";
  const bool error = v6 ? l->proto == IPPROTO_ICMPV6 && is_icmp6_error(f[l->l4])
                        : l->proto == IPPROTO_ICMP && is_icmp_error(f[l->l4]);
  if (error && l->ip_end >= l->l4 + 8 + (v6 ? 40 : 20))
    return ip_checksums_valid(f, l->l4 + 8, l->ip_end, what + " quoted packet");
  return ::testing::AssertionSuccess();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> describe(const Bytes& f) {
  Fields d;
  d.emplace_back("frame.length", dec(f.size()));
  if (f.size() < kEthLen) return d;
  d.emplace_back("eth.dst", mac_at(f, 0));
  d.emplace_back("eth.src", mac_at(f, 6));
  d.emplace_back("eth.type", hex(get16(f, 12), 4));
  auto [l3, type] = ethertype(f);
  if (l3 == kEthLen + kVlanLen) {
    d.emplace_back("vlan.tci", hex(get16(f, 14), 4));
    d.emplace_back("vlan.type", hex(type, 4));
  }
  if (type == 0x0806 && f.size() >= l3 + 28) {
    d.emplace_back("arp.htype/ptype", hex(get32(f, l3), 8));
    d.emplace_back("arp.hlen/plen", hex(get16(f, l3 + 4), 4));
    d.emplace_back("arp.op", dec(get16(f, l3 + 6)));
    d.emplace_back("arp.sha", mac_at(f, l3 + 8));
    d.emplace_back("arp.spa", ip_at(f, l3 + 14));
    d.emplace_back("arp.tha", mac_at(f, l3 + 18));
    d.emplace_back("arp.tpa", ip_at(f, l3 + 24));
    d.emplace_back("trailer", bytes_at(f, l3 + 28, f.size()));
    return d;
  }
  auto l = ip_layout(f);
  if (!l) {
    d.emplace_back("payload", bytes_at(f, l3, f.size()));
    return d;
  }
  describe_ip(f, l3, l->ip_end, "", d);
  d.emplace_back("eth.padding", bytes_at(f, l->ip_end, f.size()));
  return d;
}

::testing::AssertionResult FramesEqual(const Bytes& expected, const Bytes& actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  auto e = describe(expected);
  auto a = describe(actual);
  std::map<std::string, std::string> amap(a.begin(), a.end());
  auto failure = ::testing::AssertionFailure() << "frames differ:";
  bool any = false;
  for (const auto& [name, value] : e) {
    auto it = amap.find(name);
    std::string got = it == amap.end() ? "(absent)" : it->second;
    if (got != value) {
      failure << "\n  " << name << ": expected " << value << ", got " << got;
      any = true;
    }
  }
  for (const auto& [name, value] : a)
    if (std::none_of(e.begin(), e.end(), [&](auto& p) { return p.first == name; })) {
      failure << "\n  " << name << ": expected (absent), got " << value;
      any = true;
    }
  if (!any) {
    size_t i = 0;
    while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
    failure << "\n  first differing byte at offset " << i;
  }
  return failure;
}

::testing::AssertionResult ChecksumsValid(const Bytes& f) {
  auto l = ip_layout(f);
  if (!l) return ::testing::AssertionFailure() << "not a well-formed IP frame";
  return ip_checksums_valid(f, l->l3, l->ip_end, "frame");
}

Bytes ip_packet(const Bytes& frame) {
  auto l = ip_layout(frame);
  if (!l) throw std::invalid_argument("ip_packet: not a well-formed IP frame");
  return Bytes(frame.begin() + static_cast<long>(l->l3),
               frame.begin() + static_cast<long>(l->ip_end));
}

}  // namespace xlbtest

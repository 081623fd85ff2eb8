#include "fuzz_oracle.h"

#include <netinet/in.h>

#include <cstring>
#include <span>

#include "checksum.h"
#include "frame.h"

namespace xlbtest::fuzz {
namespace {

Addr addr4(const Bytes& f, size_t off) {
  Addr a{};
  std::memcpy(a.data(), &f[off], 4);
  return a;
}
Addr addr6(const Bytes& f, size_t off) {
  Addr a{};
  std::memcpy(a.data(), &f[off], 16);
  return a;
}

bool is_arp_request(const Bytes& f, size_t l3) {
  return f.size() >= l3 + 28 && be16_at(f, l3) == 1 && be16_at(f, l3 + 2) == 0x0800 &&
         f[l3 + 4] == 6 && f[l3 + 5] == 4 && be16_at(f, l3 + 6) == 1;
}

// ICMP errors quote the offending packet from its IPv4 header on (RFC 792).
void read_quote(const Bytes& f, size_t at, size_t ip_end, Reading& r) {
  if (at + 24 > ip_end || f[at] != 0x45) return;
  uint8_t proto = f[at + 9];
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return;
  r.quote_names_flow = true;
  r.quote = {
      addr4(f, at + 12), addr4(f, at + 16), be16_at(f, at + 20), be16_at(f, at + 22), proto, false};
}

// ICMPv6 errors quote from the IPv6 header on (RFC 4443 2.4c); a quote naming a flow starts
// with an IPv6 header whose next header is TCP or UDP, then the ports.
void read_quote6(const Bytes& f, size_t at, size_t ip_end, Reading& r) {
  if (at + 44 > ip_end || f[at] >> 4 != 6) return;
  uint8_t proto = f[at + 6];
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return;
  r.quote_names_flow = true;
  r.quote = {
      addr6(f, at + 8), addr6(f, at + 24), be16_at(f, at + 40), be16_at(f, at + 42), proto, true};
}

// RFC 4861 7.1.1: hop limit 255, ICMPv6 checksum valid, code 0, at least 24 bytes; xlb answers
// only one from a unicast source (not ::) whose options fit the 8-byte grid, up to 64 bytes.
bool is_neighbor_solicit(const Bytes& f, size_t l3, size_t l4, size_t ip_end) {
  size_t len = ip_end - l4;
  if (f[l3 + 7] != 255 || len < 24 || len > 64 || len % 8 || f[l4 + 1] != 0) return false;
  if (addr6(f, l3 + 8) == Addr{}) return false;
  uint64_t acc = csum::pseudo_header6(std::span<const uint8_t, 16>(&f[l3 + 8], 16),
                                      std::span<const uint8_t, 16>(&f[l3 + 24], 16), 58,
                                      static_cast<uint32_t>(len));
  return csum::verifies(std::span<const uint8_t>(f.data() + l4, len), acc);
}

// The L4 part, alike for both families but for the ICMP flavour.
void read_l4(const Bytes& f, size_t l3, size_t l4, size_t ip_end, bool v6, Reading& r) {
  r.kind = Reading::kBadL4;
  switch (r.tuple.proto) {
    case IPPROTO_TCP: {
      if (l4 + 20 > ip_end) return;
      size_t doff = (f[l4 + 12] >> 4) * 4u;
      if (doff < 20 || l4 + doff > ip_end) return;
      break;
    }
    case IPPROTO_UDP: {
      if (l4 + 8 > ip_end) return;
      size_t len = be16_at(f, l4 + 4);
      if (len < 8 || l4 + len > ip_end) return;
      if (v6 && be16_at(f, l4 + 6) == 0) return;  // RFC 8200 8.1
      break;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if ((r.tuple.proto == IPPROTO_ICMPV6) != v6) {
        r.kind = Reading::kOtherL4;
        return;
      }
      if (l4 + 8 > ip_end) return;
      uint8_t icmp_type = f[l4];
      if (icmp_type == (v6 ? 128 : 8)) {
        r.kind = Reading::kIcmpEcho;
      } else if (v6 ? icmp_type >= 1 && icmp_type <= 4 : icmp_type == 3 || icmp_type == 11) {
        r.kind = Reading::kIcmpError;
        if (v6)
          read_quote6(f, l4 + 8, ip_end, r);
        else
          read_quote(f, l4 + 8, ip_end, r);
      } else if (v6 && icmp_type == 135 && is_neighbor_solicit(f, l3, l4, ip_end)) {
        r.kind = Reading::kNeighborSolicit;
        r.arp_target = addr6(f, l4 + 8);
      } else {
        r.kind = Reading::kOtherIcmp;
      }
      return;
    }
    default:
      r.kind = Reading::kOtherL4;
      return;
  }
  r.kind = Reading::kTcpUdp;
  r.tuple.sport = be16_at(f, l4);
  r.tuple.dport = be16_at(f, l4 + 2);
}

// IPv6 (RFC 8200): the payload length within the frame, then hop-by-hop, routing and
// destination options headers, each inside the payload; xlb walks at most 4 of them and 192
// bytes (more: kOtherL4, the kernel's). A fragment header: a fragment.
Reading read_ipv6(const Bytes& f, size_t l3) {
  Reading r;
  r.kind = Reading::kBadIp;
  if (f.size() < l3 + 40 || f[l3] >> 4 != 6) return r;
  const size_t ip_end = l3 + 40 + be16_at(f, l3 + 4);
  if (ip_end > f.size()) return r;
  r.ttl = f[l3 + 7];
  r.tuple = {addr6(f, l3 + 8), addr6(f, l3 + 24), 0, 0, f[l3 + 6], true};
  size_t l4 = l3 + 40;
  for (int i = 0;; ++i) {
    uint8_t next = r.tuple.proto;
    if (next == 44) {
      r.kind = Reading::kFragment;
      return r;
    }
    if (next != 0 && next != 43 && next != 60) break;
    if (i == 4) {
      r.kind = Reading::kOtherL4;
      return r;
    }
    if (l4 + 8 > ip_end) return r;  // kBadIp
    r.tuple.proto = f[l4];
    l4 += (f[l4 + 1] + 1u) * 8;
    if (l4 - (l3 + 40) > 192) {
      r.kind = Reading::kOtherL4;
      return r;
    }
    if (l4 > ip_end) return r;  // kBadIp
  }
  read_l4(f, l3, l4, ip_end, true, r);
  return r;
}

}  // namespace

Reading read_frame(const Bytes& f) {
  Reading r;
  if (f.size() < kEthHeaderLen) return r;
  size_t l3 = kEthHeaderLen;
  uint16_t type = be16_at(f, 12);
  if (type == 0x8100) {
    if (f.size() < kEthHeaderLen + 4) return r;
    type = be16_at(f, 16);
    l3 += 4;
  }
  if (type == 0x0806 && is_arp_request(f, l3)) {
    r.kind = Reading::kArpRequest;
    r.arp_target = addr4(f, l3 + 24);
    return r;
  }
  if (type == 0x86dd) return read_ipv6(f, l3);
  if (type != 0x0800) return r;

  r.kind = Reading::kBadIp;
  if (f.size() < l3 + 20 || f[l3] >> 4 != 4) return r;
  size_t ihl = (f[l3] & 0x0f) * 4u;
  size_t tot = be16_at(f, l3 + 2);
  if (ihl < 20 || tot < ihl || l3 + tot > f.size()) return r;
  if (!csum::verifies(std::span<const uint8_t>(f.data() + l3, ihl))) return r;  // RFC 1812 5.2.2
  r.ttl = f[l3 + 8];
  r.tuple = {addr4(f, l3 + 12), addr4(f, l3 + 16), 0, 0, f[l3 + 9], false};
  if (be16_at(f, l3 + 6) & 0x3fff) {
    r.kind = Reading::kFragment;
    return r;
  }

  const size_t l4 = l3 + ihl;
  const size_t ip_end = l3 + tot;  // anything after it is Ethernet padding, not ours to read
  read_l4(f, l3, l4, ip_end, false, r);
  return r;
}

}  // namespace xlbtest::fuzz

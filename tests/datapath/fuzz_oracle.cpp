#include "fuzz_oracle.h"

#include <netinet/in.h>

#include <cstring>
#include <span>

#include "checksum.h"
#include "frame.h"

namespace xlbtest::fuzz {
namespace {

uint32_t raw32(const Bytes& f, size_t off) {
  uint32_t v;
  std::memcpy(&v, &f[off], 4);
  return v;
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
  r.quote = {raw32(f, at + 12), raw32(f, at + 16), be16_at(f, at + 20), be16_at(f, at + 22), proto};
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
    r.arp_target = raw32(f, l3 + 24);
    return r;
  }
  if (type != 0x0800) return r;

  r.kind = Reading::kBadIp;
  if (f.size() < l3 + 20 || f[l3] >> 4 != 4) return r;
  size_t ihl = (f[l3] & 0x0f) * 4u;
  size_t tot = be16_at(f, l3 + 2);
  if (ihl < 20 || tot < ihl || l3 + tot > f.size()) return r;
  if (!csum::verifies(std::span<const uint8_t>(f.data() + l3, ihl))) return r;  // RFC 1812 5.2.2
  r.ttl = f[l3 + 8];
  r.tuple = {raw32(f, l3 + 12), raw32(f, l3 + 16), 0, 0, f[l3 + 9]};
  if (be16_at(f, l3 + 6) & 0x3fff) {
    r.kind = Reading::kFragment;
    return r;
  }

  const size_t l4 = l3 + ihl;
  const size_t ip_end = l3 + tot;  // anything after it is Ethernet padding, not ours to read
  r.kind = Reading::kBadL4;
  switch (r.tuple.proto) {
    case IPPROTO_TCP: {
      if (l4 + 20 > ip_end) return r;
      size_t doff = (f[l4 + 12] >> 4) * 4u;
      if (doff < 20 || l4 + doff > ip_end) return r;
      break;
    }
    case IPPROTO_UDP: {
      if (l4 + 8 > ip_end) return r;
      size_t len = be16_at(f, l4 + 4);
      if (len < 8 || l4 + len > ip_end) return r;
      break;
    }
    case IPPROTO_ICMP: {
      if (l4 + 8 > ip_end) return r;
      uint8_t icmp_type = f[l4];
      if (icmp_type == 8) {
        r.kind = Reading::kIcmpEcho;
      } else if (icmp_type == 3 || icmp_type == 11) {
        r.kind = Reading::kIcmpError;
        read_quote(f, l4 + 8, ip_end, r);
      } else {
        r.kind = Reading::kOtherIcmp;
      }
      return r;
    }
    default:
      r.kind = Reading::kOtherL4;
      return r;
  }
  r.kind = Reading::kTcpUdp;
  r.tuple.sport = be16_at(f, l4);
  r.tuple.dport = be16_at(f, l4 + 2);
  return r;
}

}  // namespace xlbtest::fuzz

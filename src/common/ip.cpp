#include "common/ip.h"

#include <arpa/inet.h>

#include <cstring>

namespace xlb {
namespace {

// "/N" after an address: N in 0..max, decimal without leading zeros; nullopt otherwise.
std::optional<uint8_t> cidr_prefix_bits(const std::string& bits, int max) {
  if (bits.empty() || bits.size() > 3 || (bits.size() > 1 && bits[0] == '0')) return std::nullopt;
  int n = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > max) return std::nullopt;
  return static_cast<uint8_t>(n);
}

// The first `prefix` bits of `ip` (network order words), the rest cleared.
xlb_ip masked_ip(const xlb_ip& ip, unsigned prefix) {
  xlb_ip out{};
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned first = i * 32;
    if (prefix >= first + 32) {
      out.w[i] = ip.w[i];
    } else if (prefix > first) {
      out.w[i] = ip.w[i] & htonl(~uint32_t{0} << (32 - (prefix - first)));
    }
  }
  return out;
}

}  // namespace

std::optional<xlb_ip> parse_ipv4(const std::string& text) {
  in_addr a{};
  // inet_pton accepts only the strict four-decimal-octet form, unlike inet_aton.
  if (text.empty() || inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  xlb_ip ip{};
  ip.w[0] = a.s_addr;
  return ip;
}

std::optional<IpAddress> parse_ip(const std::string& text) {
  if (auto v4 = parse_ipv4(text)) return IpAddress{*v4, XLB_AF_INET};
  in6_addr a{};
  if (text.empty() || inet_pton(AF_INET6, text.c_str(), &a) != 1) return std::nullopt;
  IpAddress ip{{}, XLB_AF_INET6};
  std::memcpy(ip.addr.w, &a, sizeof a);
  return ip;
}

std::string format_ip(const xlb_ip& ip, uint8_t family) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == XLB_AF_INET6) {
    inet_ntop(AF_INET6, ip.w, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, &ip.w[0], buf, sizeof buf);
  }
  return buf;
}

std::string format_ip(const IpAddress& ip) { return format_ip(ip.addr, ip.family); }

std::string canonical_ip(const std::string& text) {
  auto ip = parse_ip(text);
  return ip ? format_ip(*ip) : text;
}

IpSortKey ip_sort_key(const std::string& ip_text) {
  IpSortKey key{};
  if (auto ip = parse_ip(ip_text)) {
    key[0] = ip->family;  // network-order bytes compare as the numbers they spell
    std::memcpy(key.data() + 1, ip->addr.w, sizeof ip->addr.w);
  }
  return key;
}

uint8_t family_of(const std::string& ip_text) {
  return ip_text.find(':') == std::string::npos ? XLB_AF_INET : XLB_AF_INET6;
}

std::string ip_with_port(const std::string& ip_text, uint16_t port) {
  const std::string host = family_of(ip_text) == XLB_AF_INET6 ? "[" + ip_text + "]" : ip_text;
  return host + ":" + std::to_string(port);
}

std::string format_ip_port(const xlb_ip& ip, uint8_t family, uint16_t host_order_port) {
  return ip_with_port(format_ip(ip, family), host_order_port);
}

std::optional<IpCidr> ip_cidr(const IpAddress& ip, unsigned prefix) {
  if (prefix > (ip.v6() ? 128u : 32u)) return std::nullopt;
  IpCidr cidr;
  cidr.prefix = static_cast<uint8_t>(prefix);
  cidr.network = {masked_ip(ip.addr, prefix), ip.family};
  return cidr;
}

std::optional<IpCidr> parse_ip_cidr(const std::string& text) {
  const size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const int max = ip->v6() ? 128 : 32;
  if (slash == std::string::npos) return ip_cidr(*ip, max);
  auto bits = cidr_prefix_bits(text.substr(slash + 1), max);
  if (!bits) return std::nullopt;
  return ip_cidr(*ip, *bits);
}

bool IpCidr::contains(const IpAddress& ip) const {
  return ip.family == network.family && masked_ip(ip.addr, prefix) == network.addr;
}

bool is_host_address(const IpAddress& ip) {
  const uint32_t h = ntohl(ip.addr.w[0]);
  if (!ip.v6()) return h != 0 && (h >> 28) != 0xE && h != 0xFFFFFFFFu;
  const bool unspecified = !ip.addr.w[0] && !ip.addr.w[1] && !ip.addr.w[2] && !ip.addr.w[3];
  const bool mapped = !ip.addr.w[0] && !ip.addr.w[1] && ntohl(ip.addr.w[2]) == 0xFFFFu;
  return !unspecified && !mapped && (h >> 24) != 0xFF && (h >> 22) != (0xFE80u >> 6);
}

}  // namespace xlb

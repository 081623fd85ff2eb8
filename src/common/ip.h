// IP text <-> ABI address conversion for both families (the ABI is IPv6-sized: 16 bytes + family).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

extern "C" {
#include "xlb/abi/common.h"
}

namespace xlb {

// An address with its family (XLB_AF_INET or XLB_AF_INET6); IPv4 lives in w[0], w[1..3] = 0.
struct IpAddress {
  xlb_ip addr{};
  uint8_t family = XLB_AF_INET;
  bool v6() const { return family == XLB_AF_INET6; }
};

// Strict dotted-quad parse ("10.0.0.1"); nullopt for anything else.
std::optional<xlb_ip> parse_ipv4(const std::string& text);
// A dotted quad or any IPv6 text inet_pton accepts ("2001:db8::1", "::ffff:10.0.0.1"); no
// brackets, no zone, no prefix.
std::optional<IpAddress> parse_ip(const std::string& text);
// RFC 5952 text for IPv6 (what inet_ntop writes), the dotted quad for IPv4.
std::string format_ip(const xlb_ip& ip, uint8_t family = XLB_AF_INET);
std::string format_ip(const IpAddress& ip);
// `text` in its one canonical form when it is an address, else unchanged (validation refuses it
// later with the field's name): rules compare addresses as text.
std::string canonical_ip(const std::string& text);
// "10.0.0.1:80", "[2001:db8::1]:80": an IPv6 address is bracketed where a port follows.
std::string ip_with_port(const std::string& ip_text, uint16_t port);
std::string format_ip_port(const xlb_ip& ip, uint8_t family, uint16_t host_order_port);
// Orders address text: IPv4 before IPv6, each in numeric order; text that is no address first.
using IpSortKey = std::array<uint8_t, 17>;
IpSortKey ip_sort_key(const std::string& ip_text);
// The family of the address text: XLB_AF_INET6 when it holds a ':', else XLB_AF_INET.
uint8_t family_of(const std::string& ip_text);
// One host a rule, endpoint or BGP neighbour can name. IPv4: not 0.0.0.0, multicast or limited
// broadcast. IPv6: not ::, multicast (ff00::/8), link-local (fe80::/10: it needs a zone, which
// the configuration cannot name) or IPv4-mapped (::ffff:0:0/96: an IPv4 host, written as one).
bool is_host_address(const IpAddress& ip);

// A network of either family ("10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128).
struct IpCidr {
  IpAddress network;  // host bits cleared
  uint8_t prefix = 32;
  bool contains(const IpAddress& ip) const;
};
std::optional<IpCidr> parse_ip_cidr(const std::string& text);
// The network of `ip` with `prefix` bits; nullopt when prefix exceeds the family's width.
std::optional<IpCidr> ip_cidr(const IpAddress& ip, unsigned prefix);

inline bool operator==(const xlb_ip& a, const xlb_ip& b) {
  return a.w[0] == b.w[0] && a.w[1] == b.w[1] && a.w[2] == b.w[2] && a.w[3] == b.w[3];
}
inline bool operator==(const IpAddress& a, const IpAddress& b) {
  return a.family == b.family && a.addr == b.addr;
}

}  // namespace xlb

// IPv4 text <-> ABI address conversion (the ABI is IPv6-sized; only IPv4 is wired up).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

extern "C" {
#include "xlb/abi/common.h"
}

namespace xlb {

// Strict dotted-quad parse ("10.0.0.1"); nullopt for anything else.
std::optional<xlb_ip> parse_ipv4(const std::string& text);
std::string format_ip(const xlb_ip& ip);

// An IPv4 network ("10.0.0.0/8"; a bare address is a /32), addresses in host byte order.
struct Ipv4Cidr {
  uint32_t network = 0;  // host bits cleared
  uint8_t prefix = 32;
  bool contains(uint32_t host_order_addr) const {
    const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    return (host_order_addr & mask) == network;
  }
};
// nullopt unless `text` is a dotted quad with an optional "/0".."/32" (host bits may be set:
// "10.1.2.3/8" is 10.0.0.0/8).
std::optional<Ipv4Cidr> parse_ipv4_cidr(const std::string& text);

inline bool operator==(const xlb_ip& a, const xlb_ip& b) {
  return a.w[0] == b.w[0] && a.w[1] == b.w[1] && a.w[2] == b.w[2] && a.w[3] == b.w[3];
}

}  // namespace xlb

#include "common/ip.h"

#include <arpa/inet.h>

namespace xlb {

std::optional<xlb_ip> parse_ipv4(const std::string& text) {
  in_addr a{};
  // inet_pton accepts only the strict four-decimal-octet form, unlike inet_aton.
  if (text.empty() || inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  xlb_ip ip{};
  ip.w[0] = a.s_addr;
  return ip;
}

std::optional<Ipv4Cidr> parse_ipv4_cidr(const std::string& text) {
  const size_t slash = text.find('/');
  auto ip = parse_ipv4(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Ipv4Cidr cidr;
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 2) return std::nullopt;
    int n = 0;
    for (char c : bits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n > 32) return std::nullopt;
    cidr.prefix = static_cast<uint8_t>(n);
  }
  const uint32_t mask = cidr.prefix == 0 ? 0 : ~uint32_t{0} << (32 - cidr.prefix);
  cidr.network = ntohl(ip->w[0]) & mask;
  return cidr;
}

std::string format_ip(const xlb_ip& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (ip.w[1] || ip.w[2] || ip.w[3]) {
    inet_ntop(AF_INET6, ip.w, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET, &ip.w[0], buf, sizeof buf);
  }
  return buf;
}

}  // namespace xlb

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

#include "proxy/socket_address.h"

#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace xlb::proxy {

std::optional<SocketAddress> from_sockaddr(const sockaddr_storage& sa) {
  SocketAddress out;
  if (sa.ss_family == AF_INET) {
    const auto& in4 = reinterpret_cast<const sockaddr_in&>(sa);
    out.ip.addr.w[0] = in4.sin_addr.s_addr;
    out.port = ntohs(in4.sin_port);
    return out;
  }
  if (sa.ss_family != AF_INET6) return std::nullopt;
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
  out.port = ntohs(in6.sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
    std::memcpy(&out.ip.addr.w[0], in6.sin6_addr.s6_addr + 12, 4);
    return out;
  }
  std::memcpy(out.ip.addr.w, in6.sin6_addr.s6_addr, 16);
  out.ip.family = XLB_AF_INET6;
  return out;
}

socklen_t to_sockaddr(const SocketAddress& addr, sockaddr_storage& out) {
  out = sockaddr_storage{};
  if (addr.ip.v6()) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(out);
    in6.sin6_family = AF_INET6;
    std::memcpy(in6.sin6_addr.s6_addr, addr.ip.addr.w, 16);
    in6.sin6_port = htons(addr.port);
    return sizeof in6;
  }
  auto& in4 = reinterpret_cast<sockaddr_in&>(out);
  in4.sin_family = AF_INET;
  in4.sin_addr.s_addr = addr.ip.addr.w[0];
  in4.sin_port = htons(addr.port);
  return sizeof in4;
}

std::optional<SocketAddress> parse_socket_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  const bool bracketed = host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto ip = parse_ip(host);
  // An IPv6 address is bracketed: "2001:db8::1:80" would be ambiguous.
  if (!ip || ip->v6() != bracketed) return std::nullopt;
  unsigned port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || first == last || port > 65535) return std::nullopt;
  return SocketAddress{*ip, static_cast<uint16_t>(port)};
}

}  // namespace xlb::proxy

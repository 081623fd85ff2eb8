// Socket addresses of the proxy's connections, for both families. xlbd's listeners are
// dual-stack IPv6 sockets (one reuseport group serves IPv4 and IPv6 VIPs), so an IPv4 client or
// VIP arrives as an IPv4-mapped IPv6 address (::ffff:a.b.c.d): it is IPv4 here, as it is in the
// rules, in X-Forwarded-For and in --xff-trusted.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/ip.h"

namespace xlb::proxy {

struct SocketAddress {
  IpAddress ip;
  uint16_t port = 0;  // host order
};

// nullopt for a family other than IPv4 and IPv6.
std::optional<SocketAddress> from_sockaddr(const sockaddr_storage& sa);
// The sockaddr to connect or bind to; returns its length.
socklen_t to_sockaddr(const SocketAddress& addr, sockaddr_storage& out);
// "10.0.0.1:80" or "[2001:db8::1]:80" (an IPv6 address in brackets), as --listen takes it.
std::optional<SocketAddress> parse_socket_address(const std::string& text);

}  // namespace xlb::proxy

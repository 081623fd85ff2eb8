#include "health/icmp_socket.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>

#include "health/probe_result.h"

namespace xlb::health {
namespace {

constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kDestUnreachable = 3;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kTimeExceeded = 11;
constexpr uint8_t kEcho6Request = 128;
constexpr uint8_t kEcho6Reply = 129;
constexpr uint8_t kDest6Unreachable = 1;
constexpr uint8_t kPacket6TooBig = 2;
constexpr uint8_t kTime6Exceeded = 3;
constexpr size_t kIcmpHeader = 8;
constexpr size_t kIpv6Header = 40;
constexpr std::string_view kPayload = "xlb-health-ping!";  // 16 bytes, visible in captures

uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The IPv4 header at the start of `p`, if well formed: its length in bytes.
std::optional<size_t> ipv4_header_length(std::span<const uint8_t> p) {
  if (p.size() < 20 || (p[0] >> 4) != 4) return std::nullopt;
  size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > p.size()) return std::nullopt;
  return ihl;
}

uint16_t internet_checksum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += read16(&data[i]);
  if (data.size() % 2) sum += static_cast<uint32_t>(data.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

UniqueFd icmp_socket(int type, uint8_t family) {
  if (family == XLB_AF_INET6)
    return UniqueFd(::socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  return UniqueFd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
}

// A raw socket sees all ICMP on the host; let the kernel drop what no ping can use.
void filter_raw_icmp(int fd, uint8_t family) {
  if (family == XLB_AF_INET6) {
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    for (uint8_t type : {kEcho6Reply, kDest6Unreachable, kPacket6TooBig, kTime6Exceeded})
      ICMP6_FILTER_SETPASS(type, &filter);
    ::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    return;
  }
  icmp_filter filter{~((1u << kEchoReply) | (1u << kDestUnreachable) | (1u << kTimeExceeded))};
  ::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
}

}  // namespace

std::optional<IcmpEcho> parse_icmp(std::span<const uint8_t> packet, bool with_ip_header,
                                   uint32_t sender) {
  if (with_ip_header) {
    auto ihl = ipv4_header_length(packet);
    if (!ihl) return std::nullopt;
    packet = packet.subspan(*ihl);
  }
  if (packet.size() < kIcmpHeader) return std::nullopt;
  IcmpEcho echo;
  echo.type = packet[0];
  echo.code = packet[1];
  if (echo.type == kEchoReply) {
    echo.id = read16(&packet[4]);
    echo.seq = read16(&packet[6]);
    echo.peer.w[0] = sender;
    return echo;
  }
  if (echo.type != kDestUnreachable && echo.type != kTimeExceeded) return std::nullopt;
  // An error quotes the IPv4 header and the first 8 bytes of the request that caused it.
  auto quoted_ip = packet.subspan(kIcmpHeader);
  auto ihl = ipv4_header_length(quoted_ip);
  if (!ihl || quoted_ip.size() < *ihl + kIcmpHeader || quoted_ip[*ihl] != kEchoRequest) {
    return std::nullopt;
  }
  std::memcpy(&echo.peer.w[0], &quoted_ip[16], sizeof echo.peer.w[0]);
  echo.id = read16(&quoted_ip[*ihl + 4]);
  echo.seq = read16(&quoted_ip[*ihl + 6]);
  echo.is_error = true;
  return echo;
}

std::optional<IcmpEcho> parse_icmp6(std::span<const uint8_t> packet, const xlb_ip& sender) {
  if (packet.size() < kIcmpHeader) return std::nullopt;
  IcmpEcho echo;
  echo.type = packet[0];
  echo.code = packet[1];
  if (echo.type == kEcho6Reply) {
    echo.id = read16(&packet[4]);
    echo.seq = read16(&packet[6]);
    echo.peer = sender;
    return echo;
  }
  if (echo.type != kDest6Unreachable && echo.type != kPacket6TooBig && echo.type != kTime6Exceeded)
    return std::nullopt;
  auto quoted_ip = packet.subspan(kIcmpHeader);
  constexpr size_t kNextHeader = 6, kDestination = 24;
  if (quoted_ip.size() < kIpv6Header + kIcmpHeader || (quoted_ip[0] >> 4) != 6 ||
      quoted_ip[kNextHeader] != IPPROTO_ICMPV6 || quoted_ip[kIpv6Header] != kEcho6Request) {
    return std::nullopt;
  }
  std::memcpy(echo.peer.w, &quoted_ip[kDestination], sizeof echo.peer.w);
  echo.id = read16(&quoted_ip[kIpv6Header + 4]);
  echo.seq = read16(&quoted_ip[kIpv6Header + 6]);
  echo.is_error = true;
  return echo;
}

std::string icmp6_error_words(uint8_t type, uint8_t code) {
  if (type == kTime6Exceeded) return "icmpv6 time exceeded";
  if (type == kPacket6TooBig) return "icmpv6 packet too big";
  switch (code) {
    case 0:
      return "icmpv6 no route to destination";
    case 1:
      return "icmpv6 administratively prohibited";
    case 3:
      return "icmpv6 address unreachable";
    case 4:
      return "icmpv6 port unreachable";
    default:
      return "icmpv6 destination unreachable (code " + std::to_string(code) + ")";
  }
}

std::string icmp_error_words(uint8_t type, uint8_t code) {
  if (type == kTimeExceeded) return "icmp time exceeded";
  switch (code) {
    case 0:
      return "icmp network unreachable";
    case 1:
      return "icmp host unreachable";
    case 3:
      return "icmp port unreachable";
    case 9:
    case 10:
    case 13:
      return "icmp administratively prohibited";
    default:
      return "icmp destination unreachable (code " + std::to_string(code) + ")";
  }
}

Result<std::unique_ptr<IcmpSocket>> IcmpSocket::open(EventLoop& loop, uint8_t family) {
  bool raw = false;
  // Allowed by net.ipv4.ping_group_range (which governs ICMPv6 ping sockets too).
  UniqueFd fd = icmp_socket(SOCK_DGRAM, family);
  int dgram_errno = errno;
  if (!fd) {
    fd = icmp_socket(SOCK_RAW, family);
    raw = true;
  }
  if (!fd) {
    return Error{ErrorCode::system,
                 std::string("cannot open an ") + (family == XLB_AF_INET6 ? "icmpv6" : "icmp") +
                     " socket (" + errno_words(dgram_errno) +
                     "): run as root, grant CAP_NET_RAW or widen net.ipv4.ping_group_range",
                 ""};
  }
  if (raw) filter_raw_icmp(fd.get(), family);
  std::unique_ptr<IcmpSocket> sock(new IcmpSocket(std::move(fd), raw, family));
  auto token =
      loop.watch(sock->fd_.get(), EPOLLIN, [s = sock.get()](uint32_t) { s->on_readable(); });
  if (!token) return token.error();
  sock->watch_ = FdWatch(loop, *token);
  return sock;
}

IcmpSocket::IcmpSocket(UniqueFd fd, bool raw, uint8_t family)
    : fd_(std::move(fd)), raw_(raw), family_(family) {
  id_ = static_cast<uint16_t>(std::random_device{}());
}

IcmpSocket::~IcmpSocket() { watch_.reset(); }

Result<uint16_t> IcmpSocket::send_echo(const IpAddress& to, OnAnswer on_answer) {
  if (pending_.size() >= 0xffff) {
    return Error{ErrorCode::system, "too many pings in flight", ""};
  }
  while (pending_.contains(next_seq_)) ++next_seq_;
  uint16_t seq = next_seq_++;

  std::array<uint8_t, kIcmpHeader + kPayload.size()> packet{};
  packet[0] = family_ == XLB_AF_INET6 ? kEcho6Request : kEchoRequest;
  packet[4] = static_cast<uint8_t>(id_ >> 8);
  packet[5] = static_cast<uint8_t>(id_);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  std::memcpy(&packet[kIcmpHeader], kPayload.data(), kPayload.size());
  // ICMP: a ping socket recomputes the sum, raw needs it. ICMPv6: the kernel always fills it in
  // (it covers the IPv6 pseudo-header, which only the kernel knows in full).
  if (family_ != XLB_AF_INET6) {
    uint16_t sum = internet_checksum(packet);
    packet[2] = static_cast<uint8_t>(sum >> 8);
    packet[3] = static_cast<uint8_t>(sum);
  }

  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family_ == XLB_AF_INET6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
    sa->sin6_family = AF_INET6;
    std::memcpy(&sa->sin6_addr, to.addr.w, sizeof sa->sin6_addr);
    len = sizeof *sa;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = to.addr.w[0];
    len = sizeof *sa;
  }
  if (::sendto(fd_.get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) <
      0) {
    return Error{ErrorCode::system, errno_words(errno), ""};
  }
  pending_.emplace(seq, Pending{to.addr, std::move(on_answer)});
  return seq;
}

void IcmpSocket::on_readable() {
  std::array<uint8_t, 1500> buf;
  for (;;) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;  // drained (EAGAIN) or an error no pending ping can be matched to
    const auto packet = std::span(buf.data(), static_cast<size_t>(n));
    std::optional<IcmpEcho> echo;
    if (family_ == XLB_AF_INET6) {
      xlb_ip sender{};
      std::memcpy(sender.w, &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr,
                  sizeof sender.w);
      echo = parse_icmp6(packet, sender);
    } else {
      echo = parse_icmp(packet, raw_, reinterpret_cast<const sockaddr_in*>(&from)->sin_addr.s_addr);
    }
    if (echo) dispatch(*echo);
  }
}

void IcmpSocket::dispatch(const IcmpEcho& echo) {
  if (raw_ && echo.id != id_) return;  // another process's ping
  auto it = pending_.find(echo.seq);
  if (it == pending_.end() || !(it->second.to == echo.peer)) return;
  OnAnswer on_answer = std::move(it->second.on_answer);
  pending_.erase(it);
  if (echo.is_error) {
    on_answer(family_ == XLB_AF_INET6 ? icmp6_error_words(echo.type, echo.code)
                                      : icmp_error_words(echo.type, echo.code));
  } else {
    on_answer(std::nullopt);
  }
}

}  // namespace xlb::health

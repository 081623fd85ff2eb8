#include "health/icmp_socket.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
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
constexpr size_t kIcmpHeader = 8;
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

UniqueFd icmp_socket(int type) {
  return UniqueFd(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
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
    echo.peer = sender;
    return echo;
  }
  if (echo.type != kDestUnreachable && echo.type != kTimeExceeded) return std::nullopt;
  // An error quotes the IPv4 header and the first 8 bytes of the request that caused it.
  auto quoted_ip = packet.subspan(kIcmpHeader);
  auto ihl = ipv4_header_length(quoted_ip);
  if (!ihl || quoted_ip.size() < *ihl + kIcmpHeader || quoted_ip[*ihl] != kEchoRequest) {
    return std::nullopt;
  }
  std::memcpy(&echo.peer, &quoted_ip[16], sizeof echo.peer);
  echo.id = read16(&quoted_ip[*ihl + 4]);
  echo.seq = read16(&quoted_ip[*ihl + 6]);
  echo.is_error = true;
  return echo;
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

Result<std::unique_ptr<IcmpSocket>> IcmpSocket::open(EventLoop& loop) {
  bool raw = false;
  UniqueFd fd = icmp_socket(SOCK_DGRAM);  // allowed by net.ipv4.ping_group_range
  int dgram_errno = errno;
  if (!fd) {
    fd = icmp_socket(SOCK_RAW);
    raw = true;
  }
  if (!fd) {
    return Error{ErrorCode::system,
                 "cannot open an icmp socket (" + errno_words(dgram_errno) +
                     "): run as root, grant CAP_NET_RAW or widen net.ipv4.ping_group_range",
                 ""};
  }
  if (raw) {
    // A raw socket sees all ICMP on the host; let the kernel drop what no ping can use.
    icmp_filter filter{~((1u << kEchoReply) | (1u << kDestUnreachable) | (1u << kTimeExceeded))};
    ::setsockopt(fd.get(), SOL_RAW, ICMP_FILTER, &filter, sizeof filter);
  }
  std::unique_ptr<IcmpSocket> sock(new IcmpSocket(std::move(fd), raw));
  auto token =
      loop.watch(sock->fd_.get(), EPOLLIN, [s = sock.get()](uint32_t) { s->on_readable(); });
  if (!token) return token.error();
  sock->watch_ = FdWatch(loop, *token);
  return sock;
}

IcmpSocket::IcmpSocket(UniqueFd fd, bool raw) : fd_(std::move(fd)), raw_(raw) {
  id_ = static_cast<uint16_t>(std::random_device{}());
}

IcmpSocket::~IcmpSocket() { watch_.reset(); }

Result<uint16_t> IcmpSocket::send_echo(in_addr to, OnAnswer on_answer) {
  if (pending_.size() >= 0xffff) {
    return Error{ErrorCode::system, "too many pings in flight", ""};
  }
  while (pending_.contains(next_seq_)) ++next_seq_;
  uint16_t seq = next_seq_++;

  std::array<uint8_t, kIcmpHeader + kPayload.size()> packet{};
  packet[0] = kEchoRequest;
  packet[4] = static_cast<uint8_t>(id_ >> 8);
  packet[5] = static_cast<uint8_t>(id_);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  std::memcpy(&packet[kIcmpHeader], kPayload.data(), kPayload.size());
  uint16_t sum = internet_checksum(packet);  // a ping socket recomputes it; raw needs it
  packet[2] = static_cast<uint8_t>(sum >> 8);
  packet[3] = static_cast<uint8_t>(sum);

  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr = to;
  if (::sendto(fd_.get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&sa),
               sizeof sa) < 0) {
    return Error{ErrorCode::system, errno_words(errno), ""};
  }
  pending_.emplace(seq, Pending{to.s_addr, std::move(on_answer)});
  return seq;
}

void IcmpSocket::on_readable() {
  std::array<uint8_t, 1500> buf;
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(fd_.get(), buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;  // drained (EAGAIN) or an error no pending ping can be matched to
    auto echo =
        parse_icmp(std::span(buf.data(), static_cast<size_t>(n)), raw_, from.sin_addr.s_addr);
    if (echo) dispatch(*echo);
  }
}

void IcmpSocket::dispatch(const IcmpEcho& echo) {
  if (raw_ && echo.id != id_) return;  // another process's ping
  auto it = pending_.find(echo.seq);
  if (it == pending_.end() || it->second.to != echo.peer) return;
  OnAnswer on_answer = std::move(it->second.on_answer);
  pending_.erase(it);
  if (echo.is_error) {
    on_answer(icmp_error_words(echo.type, echo.code));
  } else {
    on_answer(std::nullopt);
  }
}

}  // namespace xlb::health

// One ICMP echo socket shared by every ping probe of a checker: requests go out with our id and
// a per-request sequence number, and answers are dispatched back by sequence number.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "common/ip.h"
#include "common/result.h"
#include "health/event_loop.h"

namespace xlb::health {

// The parts of an ICMP message that matter to an echo: a reply, or an error quoting our request.
struct IcmpEcho {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
  xlb_ip peer{};  // the replier, or the quoted destination of an error (IPv4 in w[0])
  bool is_error = false;
};

// Parses one received packet. `with_ip_header`: raw sockets deliver the IPv4 header, ping
// (SOCK_DGRAM) sockets do not. Returns nothing for packets that are neither (e.g. requests).
std::optional<IcmpEcho> parse_icmp(std::span<const uint8_t> packet, bool with_ip_header,
                                   uint32_t sender);
// ICMPv6: both socket kinds deliver the message without the IPv6 header. An error quotes our
// request's IPv6 header (40 bytes, no extension headers: we send none) and echo header.
std::optional<IcmpEcho> parse_icmp6(std::span<const uint8_t> packet, const xlb_ip& sender);
// "icmp host unreachable", "icmp time exceeded", ...
std::string icmp_error_words(uint8_t type, uint8_t code);
std::string icmp6_error_words(uint8_t type, uint8_t code);

class IcmpSocket {
 public:
  // Called once with nothing on an echo reply, or with the error in words.
  using OnAnswer = std::function<void(std::optional<std::string> error)>;

  // Tries an unprivileged ping socket first, then a raw socket (root or CAP_NET_RAW), of
  // `family` (XLB_AF_INET: ICMP, XLB_AF_INET6: ICMPv6).
  static Result<std::unique_ptr<IcmpSocket>> open(EventLoop& loop, uint8_t family);
  ~IcmpSocket();

  // Sends an echo request; returns its sequence number for forget().
  Result<uint16_t> send_echo(const IpAddress& to, OnAnswer on_answer);
  // Stops waiting for an answer (the probe timed out or was cancelled).
  void forget(uint16_t seq) { pending_.erase(seq); }

 private:
  struct Pending {
    xlb_ip to;
    OnAnswer on_answer;
  };

  IcmpSocket(UniqueFd fd, bool raw, uint8_t family);
  void on_readable();
  void dispatch(const IcmpEcho& echo);

  UniqueFd fd_;
  FdWatch watch_;
  bool raw_;
  uint8_t family_;
  uint16_t id_;  // raw sockets only; the kernel picks the id of a ping socket and filters for it
  uint16_t next_seq_ = 0;
  std::unordered_map<uint16_t, Pending> pending_;
};

}  // namespace xlb::health

// Frame inspection for assertions: layout of eth[/vlan]/ipv4/l4 frames, an editor that derives
// expected frames from input frames (checksums recomputed with our own RFC 1071 code), and
// gtest assertions that compare frames field by field and verify checksums.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "packet.h"

namespace xlbtest {

struct Layout {
  size_t l3 = 0;      // offset of the IP header
  size_t l4 = 0;      // offset of the L4 header (after IPv4 options or IPv6 extension headers)
  size_t ip_end = 0;  // l3 + the IP packet's length (Ethernet padding may follow)
  uint8_t proto = 0;  // IPv6: the last extension header's next header (44: a fragment)
  bool v6 = false;
};

// Layout of a well-formed IPv4 frame; nullopt for anything else.
std::optional<Layout> ipv4_layout(const Bytes& frame);
// Layout of a well-formed IPv4 or IPv6 frame (IPv6 hop-by-hop, routing and destination options
// headers walked); nullopt for anything else.
std::optional<Layout> ip_layout(const Bytes& frame);

uint32_t ip_be(const char* dotted);  // network byte order
// The address's bytes as on the wire: 4 for IPv4, 16 for IPv6 (a ':' in the text).
std::vector<uint8_t> ip_bytes(const char* text);

// The big-endian 16-bit field at `off` (bounds-checked: a short frame throws).
uint16_t be16_at(const Bytes& frame, size_t off);
// Bytes 0-13 of an untagged frame.
inline constexpr size_t kEthHeaderLen = 14;
// Where the IPv4 header starts in an untagged frame.
inline constexpr size_t kUntaggedL3 = kEthHeaderLen;

// Derives an expected frame: the input with named fields changed, checksums recomputed.
class Rewrite {
 public:
  explicit Rewrite(Bytes frame);
  Rewrite& eth_src(const Mac& mac);
  Rewrite& eth_dst(const Mac& mac);
  Rewrite& swap_macs();
  Rewrite& saddr(const char* ip);
  Rewrite& daddr(const char* ip);
  Rewrite& swap_addrs();
  Rewrite& sport(uint16_t port);
  Rewrite& dport(uint16_t port);
  Rewrite& ttl(uint8_t ttl);
  Rewrite& dec_ttl();
  Rewrite& icmp_type(uint8_t type, uint8_t code);
  Bytes build() const;  // IPv4 header and L4 checksums recomputed from scratch

 private:
  Bytes f_;
  Layout l_;
};

// Recomputes the IPv4 header and TCP/UDP/ICMP checksums of a well-formed IPv4 frame, or the
// TCP/UDP/ICMPv6 checksum of an IPv6 one. A UDP checksum of 0 ("none", RFC 768) stays 0.
void fix_checksums(Bytes& frame);
// Recomputes only the IPv4 header checksum over `header_len` bytes at `l3` (for malformed frames).
void set_ip_checksum(Bytes& frame, size_t l3, size_t header_len);

// Every header field of a frame as (name, value) pairs, in wire order; the packet inside IPIP
// or IPv6-in-IPv6 ("inner.") and the packet an ICMP/ICMPv6 error quotes ("quote.") included.
std::vector<std::pair<std::string, std::string>> describe(const Bytes& frame);

// Frames equal byte for byte; on failure, lists the header fields that differ.
::testing::AssertionResult FramesEqual(const Bytes& expected, const Bytes& actual);
// IPv4 header checksum and the TCP/UDP/ICMP checksum verify (RFC 1071); a UDP checksum of 0
// counts as absent (FramesEqual catches a checksum that should not have been dropped). The
// packet inside IPIP is verified too, and so is the packet an ICMP error quotes: its IPv4
// header always, its L4 checksum when the quote holds the whole packet.
::testing::AssertionResult ChecksumsValid(const Bytes& frame);

// The IP packet of a well-formed frame (no Ethernet header, no padding).
Bytes ip_packet(const Bytes& frame);

}  // namespace xlbtest

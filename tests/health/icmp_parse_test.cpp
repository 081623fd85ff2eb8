// Parsing what an ICMP socket receives: echo replies, and errors that quote our request.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "health/icmp_socket.h"

namespace xlb::health {
namespace {

const uint32_t kTarget = htonl(0x0a000002);  // 10.0.0.2

std::vector<uint8_t> ipv4_header(uint32_t dst) {
  std::vector<uint8_t> h(20, 0);
  h[0] = 0x45;  // version 4, 5 words
  h[9] = 1;     // ICMP
  std::memcpy(&h[16], &dst, 4);
  return h;
}

std::vector<uint8_t> icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t seq) {
  return {type, code, 0, 0, uint8_t(id >> 8), uint8_t(id), uint8_t(seq >> 8), uint8_t(seq)};
}

std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(ParseIcmp, EchoReplyFromAPingSocket) {
  auto e = parse_icmp(icmp(0, 0, 0x1234, 7), /*with_ip_header=*/false, kTarget);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->is_error);
  EXPECT_EQ(e->id, 0x1234);
  EXPECT_EQ(e->seq, 7);
  EXPECT_EQ(e->peer.w[0], kTarget);
}

TEST(ParseIcmp, EchoReplyFromARawSocketSkipsTheIpHeader) {
  auto e = parse_icmp(ipv4_header(0) + icmp(0, 0, 1, 65535), true, kTarget);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 65535);
}

TEST(ParseIcmp, DestinationUnreachableQuotingOurRequest) {
  auto packet = ipv4_header(0) + icmp(3, 1, 0, 0) + ipv4_header(kTarget) + icmp(8, 0, 9, 42);
  auto e = parse_icmp(packet, true, htonl(0x0a0000fe));  // sent by a router
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->is_error);
  EXPECT_EQ(e->id, 9);
  EXPECT_EQ(e->seq, 42);
  EXPECT_EQ(e->peer.w[0], kTarget);  // the quoted destination, not the router
  EXPECT_EQ(icmp_error_words(e->type, e->code), "icmp host unreachable");
}

TEST(ParseIcmp, IgnoresRequestsErrorsAboutOtherTrafficAndRunts) {
  EXPECT_FALSE(parse_icmp(icmp(8, 0, 1, 1), false, kTarget));  // our own request on loopback
  auto about_udp = icmp(3, 3, 0, 0) + ipv4_header(kTarget) + icmp(17, 0, 1, 1);
  EXPECT_FALSE(parse_icmp(about_udp, false, kTarget));
  EXPECT_FALSE(parse_icmp(std::vector<uint8_t>{0, 0, 0}, false, kTarget));
  EXPECT_FALSE(parse_icmp(std::vector<uint8_t>(10, 0x45), true, kTarget));
}

// ICMPv6 (RFC 4443): echo reply 129; errors 1 (unreachable), 2 (too big), 3 (time exceeded)
// quote the IPv6 header (destination at byte 24) and the echo request (128).
xlb_ip ip6(uint8_t last) {
  xlb_ip ip{};
  ip.w[0] = htonl(0x20010db8);
  ip.w[3] = htonl(last);
  return ip;
}

std::vector<uint8_t> ipv6_header(const xlb_ip& dst, uint8_t next_header = 58) {
  std::vector<uint8_t> h(40, 0);
  h[0] = 0x60;
  h[6] = next_header;
  h[7] = 64;
  std::memcpy(&h[24], dst.w, 16);
  return h;
}

TEST(ParseIcmp6, EchoReply) {
  auto e = parse_icmp6(icmp(129, 0, 0x1234, 7), ip6(2));
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->is_error);
  EXPECT_EQ(e->id, 0x1234);
  EXPECT_EQ(e->seq, 7);
  EXPECT_TRUE(e->peer == ip6(2));
}

TEST(ParseIcmp6, ErrorQuotingOurRequestNamesItsDestination) {
  auto packet = icmp(1, 3, 0, 0) + ipv6_header(ip6(2)) + icmp(128, 0, 9, 42);
  auto e = parse_icmp6(packet, ip6(0xfe));  // sent by a router
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->is_error);
  EXPECT_EQ(e->seq, 42);
  EXPECT_TRUE(e->peer == ip6(2)) << "the quoted destination, not the router";
  EXPECT_EQ(icmp6_error_words(e->type, e->code), "icmpv6 address unreachable");
  auto too_big = icmp(2, 0, 0, 0) + ipv6_header(ip6(2)) + icmp(128, 0, 9, 43);
  ASSERT_TRUE(parse_icmp6(too_big, ip6(0xfe)));
  EXPECT_EQ(icmp6_error_words(2, 0), "icmpv6 packet too big");
  EXPECT_EQ(icmp6_error_words(3, 0), "icmpv6 time exceeded");
}

TEST(ParseIcmp6, IgnoresRequestsOtherErrorsAndRunts) {
  EXPECT_FALSE(parse_icmp6(icmp(128, 0, 1, 1), ip6(2)));  // our own request on loopback
  EXPECT_FALSE(parse_icmp6(icmp(135, 0, 0, 0), ip6(2)));  // a neighbour solicitation
  auto about_udp = icmp(1, 4, 0, 0) + ipv6_header(ip6(2), 17) + icmp(0, 0, 1, 1);
  EXPECT_FALSE(parse_icmp6(about_udp, ip6(2)));
  auto truncated = icmp(1, 3, 0, 0) + ipv6_header(ip6(2));
  EXPECT_FALSE(parse_icmp6(truncated, ip6(2)));
  auto not_v6 = icmp(1, 3, 0, 0) + ipv4_header(kTarget) + std::vector<uint8_t>(28, 0);
  EXPECT_FALSE(parse_icmp6(not_v6, ip6(2)));
  EXPECT_FALSE(parse_icmp6(std::vector<uint8_t>{129, 0, 0}, ip6(2)));
}

TEST(IcmpErrorWords, NameTheCommonCodes) {
  EXPECT_EQ(icmp_error_words(3, 0), "icmp network unreachable");
  EXPECT_EQ(icmp_error_words(3, 13), "icmp administratively prohibited");
  EXPECT_EQ(icmp_error_words(11, 0), "icmp time exceeded");
  EXPECT_EQ(icmp_error_words(3, 5), "icmp destination unreachable (code 5)");
}

}  // namespace
}  // namespace xlb::health

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
  EXPECT_EQ(e->peer, kTarget);
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
  EXPECT_EQ(e->peer, kTarget);  // the quoted destination, not the router
  EXPECT_EQ(icmp_error_words(e->type, e->code), "icmp host unreachable");
}

TEST(ParseIcmp, IgnoresRequestsErrorsAboutOtherTrafficAndRunts) {
  EXPECT_FALSE(parse_icmp(icmp(8, 0, 1, 1), false, kTarget));  // our own request on loopback
  auto about_udp = icmp(3, 3, 0, 0) + ipv4_header(kTarget) + icmp(17, 0, 1, 1);
  EXPECT_FALSE(parse_icmp(about_udp, false, kTarget));
  EXPECT_FALSE(parse_icmp(std::vector<uint8_t>{0, 0, 0}, false, kTarget));
  EXPECT_FALSE(parse_icmp(std::vector<uint8_t>(10, 0x45), true, kTarget));
}

TEST(IcmpErrorWords, NameTheCommonCodes) {
  EXPECT_EQ(icmp_error_words(3, 0), "icmp network unreachable");
  EXPECT_EQ(icmp_error_words(3, 13), "icmp administratively prohibited");
  EXPECT_EQ(icmp_error_words(11, 0), "icmp time exceeded");
  EXPECT_EQ(icmp_error_words(3, 5), "icmp destination unreachable (code 5)");
}

}  // namespace
}  // namespace xlb::health

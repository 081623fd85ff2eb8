// The builders the new-mode tests trust, checked against hand-written bytes and our own
// checksum code: the Proxy Protocol v2 header, SACK options, IPIP and ICMP error frames.
#include <gtest/gtest.h>

#include "flow.h"

namespace xlbtest {
namespace {

TEST(Builders, ProxyV2HeaderFollowsTheSpecByteForByte) {
  const Bytes expected = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,  // sig
                          0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c,  // v2 PROXY, TCP/IPv4, len 12
                          10,   0,    1,    100,  10,   0,    1,    200,  // src, dst address
                          0x4e, 0x20, 0x00, 0x50};  // src port 20000, dst port 80
  EXPECT_EQ(proxy_v2_header("10.0.1.100", "10.0.1.200", 20000, 80), expected);
}

TEST(Builders, SackOptionIsTwoNopsThenKindFiveWithItsEdges) {
  Flow flow;
  Bytes f = flow.client_seg({tcpf::ACK, 1, 2, {}, {{0x01020304, 0x05060708}, {9, 10}}});
  auto l = ipv4_layout(f);
  ASSERT_TRUE(l);
  ASSERT_EQ(f[l->l4 + 12] >> 4, 10) << "20-byte header + 20 bytes of options";
  const Bytes options = {1, 1, 5, 18, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0, 10};
  EXPECT_TRUE(std::equal(options.begin(), options.end(), f.begin() + l->l4 + 20));
  EXPECT_TRUE(ChecksumsValid(f));
}

TEST(Builders, IpipFrameCarriesTheInnerPacketAndVerifiesInsideAndOut) {
  Flow flow;
  Bytes inner = ip_packet(flow.client_tcp(tcpf::SYN));
  Bytes f = ipip_frame(flow.client_l2(), {"10.0.2.1", "10.0.2.10"}, inner);
  auto l = ipv4_layout(f);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->proto, 4);
  EXPECT_EQ(l->ip_end - l->l4, inner.size());
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), f.begin() + l->l4));
  EXPECT_TRUE(ChecksumsValid(f));
  f[f.size() - 1] ^= 1;  // corrupt the inner TCP segment: the outer checksum cannot see it
  EXPECT_FALSE(ChecksumsValid(f));
}

TEST(Builders, IcmpErrorFrameQuotesVerbatimAndItsQuoteIsVerified) {
  Flow flow;
  Bytes quoted = ip_packet(flow.client_udp({1, 2, 3, 4}));
  Bytes f = icmp_error_frame(flow.client_l2(), {"10.0.2.10", "10.0.1.100"}, 3, 4, 1380, quoted);
  auto l = ipv4_layout(f);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->ip_end - l->l4, 8 + quoted.size());
  EXPECT_EQ(f[l->l4], 3);
  EXPECT_EQ(f[l->l4 + 1], 4);
  EXPECT_EQ(f[l->l4 + 4] << 24 | f[l->l4 + 5] << 16 | f[l->l4 + 6] << 8 | f[l->l4 + 7], 1380)
      << "unused (0) then the next-hop MTU";
  EXPECT_TRUE(std::equal(quoted.begin(), quoted.end(), f.begin() + l->l4 + 8));
  EXPECT_TRUE(ChecksumsValid(f));
  Bytes bad_quote = quoted;
  bad_quote[8] ^= 1;  // quoted TTL changed, quoted IP checksum not updated
  EXPECT_FALSE(ChecksumsValid(
      icmp_error_frame(flow.client_l2(), {"10.0.2.10", "10.0.1.100"}, 3, 4, 1380, bad_quote)));
}

}  // namespace
}  // namespace xlbtest

#include "common/ip.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace xlb {
namespace {

TEST(Ip, ParsesDottedQuadIntoNetworkOrderFirstWord) {
  auto ip = parse_ipv4("10.0.0.1");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->w[0], htonl(0x0a000001));
  EXPECT_EQ(ip->w[1], 0u);
  EXPECT_EQ(ip->w[2], 0u);
  EXPECT_EQ(ip->w[3], 0u);
}

TEST(Ip, RejectsAnythingButStrictDottedQuad) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.1.2", "abc", "10.0.0.1 ",
                          "0x0a000001", "::1", "10.0.0.-1"}) {
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
  }
}

TEST(Ip, FormatRoundTrips) {
  for (const char* text : {"10.0.0.1", "192.168.255.254", "0.0.0.0", "255.255.255.255"}) {
    auto ip = parse_ipv4(text);
    ASSERT_TRUE(ip) << text;
    EXPECT_EQ(format_ip(*ip), text);
  }
}

TEST(Ip, EqualityComparesAllWords) {
  xlb_ip a = *parse_ipv4("10.0.0.1");
  xlb_ip b = a;
  EXPECT_TRUE(a == b);
  b.w[3] = 1;
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace xlb

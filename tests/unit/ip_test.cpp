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

TEST(Ip, ParsesIpv6IntoNetworkOrderWordsWithItsFamily) {
  auto ip = parse_ip("2001:db8::1");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->family, XLB_AF_INET6);
  EXPECT_EQ(ip->addr.w[0], htonl(0x20010db8));
  EXPECT_EQ(ip->addr.w[1], 0u);
  EXPECT_EQ(ip->addr.w[2], 0u);
  EXPECT_EQ(ip->addr.w[3], htonl(1));
  auto v4 = parse_ip("10.0.0.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, XLB_AF_INET);
  EXPECT_EQ(v4->addr.w[0], htonl(0x0a000001));
}

TEST(Ip, RefusesWhatIsNoPlainAddress) {
  for (const char* bad : {"", "[2001:db8::1]", "2001:db8::1/64", "fe80::1%eth0", "2001:db8:::1",
                          "2001:db8::g", "1:2:3:4:5:6:7:8:9", " ::1", "10.0.0.1:80"}) {
    EXPECT_FALSE(parse_ip(bad)) << bad;
  }
}

// RFC 5952: lower case, leading zeros dropped, the longest run of zero groups (the first of
// equal runs, never a single group) as "::".
TEST(Ip, FormatsIpv6InRfc5952Form) {
  const std::pair<const char*, const char*> cases[] = {
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"2001:db8::0:1", "2001:db8::1"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"2001:db8:1::10:1", "2001:db8:1::10:1"},
      {"2001:db8::", "2001:db8::"},
  };
  for (const auto& [in, out] : cases) {
    auto ip = parse_ip(in);
    ASSERT_TRUE(ip) << in;
    EXPECT_EQ(format_ip(*ip), out) << in;
    EXPECT_EQ(canonical_ip(in), out) << in;
  }
  EXPECT_EQ(canonical_ip("not-an-ip"), "not-an-ip") << "left for validation to refuse";
}

// The family decides the form: an IPv6 address whose last 96 bits are zero is not IPv4.
TEST(Ip, FormatFollowsTheFamilyNotTheBits) {
  auto v6 = parse_ip("2001:db8::").value();
  EXPECT_EQ(format_ip(v6.addr, XLB_AF_INET6), "2001:db8::");
  EXPECT_EQ(format_ip(v6.addr, XLB_AF_INET), "32.1.13.184");
}

TEST(Ip, BracketsIpv6WhereAPortFollows) {
  EXPECT_EQ(ip_with_port("10.0.0.1", 80), "10.0.0.1:80");
  EXPECT_EQ(ip_with_port("2001:db8::1", 80), "[2001:db8::1]:80");
  EXPECT_EQ(format_ip_port(parse_ip("2001:db8::1")->addr, XLB_AF_INET6, 443), "[2001:db8::1]:443");
}

TEST(Ip, SortKeyPutsIpv4FirstThenNumericOrder) {
  EXPECT_LT(ip_sort_key("10.0.0.9"), ip_sort_key("10.0.0.10"));
  EXPECT_LT(ip_sort_key("255.255.255.255"), ip_sort_key("::1"));
  EXPECT_LT(ip_sort_key("2001:db8::9"), ip_sort_key("2001:db8::a"));
  EXPECT_LT(ip_sort_key("2001:db8::ffff"), ip_sort_key("2001:db8:0:1::"));
}

}  // namespace
}  // namespace xlb

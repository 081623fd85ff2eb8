// The RSTs that close an expired flow: addresses, ports and sequence numbers per end, and the
// packet bytes (checksums verified by summing them back to zero).
#include "conntrack/reset.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>

#include <cstring>

#include "common/ip.h"

namespace xlb {
namespace {

xlb_ip ip(const char* text) { return *parse_ipv4(text); }

// client 192.168.1.10:40000 -> VIP 10.0.0.100:80, endpoint 10.0.1.2:8080.
ExpiredTcpFlow nat_flow() {
  ExpiredTcpFlow f{};
  f.orig_key.saddr = ip("192.168.1.10");
  f.orig_key.daddr = ip("10.0.0.100");
  f.orig_key.sport = htons(40000);
  f.orig_key.dport = htons(80);
  f.orig_key.proto = IPPROTO_TCP;
  f.orig_key.family = XLB_AF_INET;
  f.orig.flags = XLB_CT_F_DNAT;
  f.orig.nat_daddr = ip("10.0.1.2");
  f.orig.nat_dport = htons(8080);
  f.orig.seq_next = 1000;
  f.reply.seq_next = 5000;
  return f;
}

uint16_t ones_sum(const uint8_t* p, size_t len, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (p[i] << 8) | p[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The TCP header of a RST for `seg`: its ports and sequence numbers, RST|ACK and nothing else.
void expect_rst_header(const tcphdr& th, const RstSegment& seg) {
  EXPECT_EQ(ntohs(th.source), seg.sport);
  EXPECT_EQ(ntohs(th.dest), seg.dport);
  EXPECT_EQ(ntohl(th.seq), seg.seq);
  EXPECT_EQ(ntohl(th.ack_seq), seg.ack);
  EXPECT_TRUE(th.rst);
  EXPECT_TRUE(th.ack);
  EXPECT_FALSE(th.syn || th.fin || th.psh);
}

TEST(RstSegments, NatResetsTheClientFromTheVipAndTheEndpointFromTheClient) {
  auto [client, endpoint] = rst_segments(nat_flow());
  EXPECT_EQ(format_ip(client.saddr), "10.0.0.100");
  EXPECT_EQ(client.sport, 80);
  EXPECT_EQ(format_ip(client.daddr), "192.168.1.10");
  EXPECT_EQ(client.dport, 40000);
  EXPECT_EQ(client.seq, 5000u) << "what the client expects next: the endpoint's sequence";
  EXPECT_EQ(client.ack, 1000u);

  EXPECT_EQ(format_ip(endpoint.saddr), "192.168.1.10") << "NAT keeps the client's address";
  EXPECT_EQ(endpoint.sport, 40000);
  EXPECT_EQ(format_ip(endpoint.daddr), "10.0.1.2");
  EXPECT_EQ(endpoint.dport, 8080);
  EXPECT_EQ(endpoint.seq, 1000u);
  EXPECT_EQ(endpoint.ack, 5000u);
}

TEST(RstSegments, FullnatResetsTheEndpointFromTheSnatAddressPastThePpv2Header) {
  ExpiredTcpFlow f = nat_flow();
  f.orig.flags |= XLB_CT_F_SNAT;
  f.orig.nat_saddr = ip("10.0.0.250");
  f.orig.nat_sport = htons(1030);
  f.orig.ppv2_flags = XLB_PPV2_F_ON | XLB_PPV2_F_ACKED;
  f.orig.ppv2_len = 28;
  auto [client, endpoint] = rst_segments(f);
  EXPECT_EQ(format_ip(client.saddr), "10.0.0.100");
  EXPECT_EQ(client.seq, 5000u);
  EXPECT_EQ(format_ip(endpoint.saddr), "10.0.0.250");
  EXPECT_EQ(endpoint.sport, 1030);
  EXPECT_EQ(endpoint.seq, 1028u) << "the endpoint counts the Proxy Protocol header's bytes too";
}

TEST(RstPacket, HeadersAndChecksums) {
  RstSegment seg{ip("10.0.0.100"), ip("192.168.1.10"), 80, 40000, 5000, 1000};
  auto packet = rst_packet(seg);
  ASSERT_EQ(packet.size(), sizeof(iphdr) + sizeof(tcphdr));
  iphdr iph;
  tcphdr th;
  std::memcpy(&iph, packet.data(), sizeof iph);
  std::memcpy(&th, packet.data() + sizeof iph, sizeof th);
  EXPECT_EQ(iph.version, 4);
  EXPECT_EQ(iph.protocol, IPPROTO_TCP);
  EXPECT_EQ(ntohs(iph.tot_len), packet.size());
  EXPECT_EQ(iph.saddr, seg.saddr.w[0]);
  EXPECT_EQ(iph.daddr, seg.daddr.w[0]);
  EXPECT_EQ(ones_sum(packet.data(), sizeof iph), 0xffff) << "IP header checksum";
  expect_rst_header(th, seg);
  // TCP checksum over the pseudo-header (addresses, protocol, length) and the segment.
  uint32_t pseudo = ones_sum(packet.data() + 12, 8) + IPPROTO_TCP + sizeof th;
  EXPECT_EQ(ones_sum(packet.data() + sizeof iph, sizeof th, pseudo), 0xffff) << "TCP checksum";
}

// NAT66: client [2001:db8:c::10]:40000 -> VIP [2001:db8:f::100]:80, endpoint [2001:db8:b::10]:8080.
TEST(RstSegments, Ipv6FlowsAreResetInIpv6) {
  ExpiredTcpFlow f = nat_flow();
  f.orig_key.family = XLB_AF_INET6;
  f.orig_key.saddr = parse_ip("2001:db8:c::10")->addr;
  f.orig_key.daddr = parse_ip("2001:db8:f::100")->addr;
  f.orig.nat_daddr = parse_ip("2001:db8:b::10")->addr;
  auto [client, endpoint] = rst_segments(f);
  EXPECT_EQ(client.family, XLB_AF_INET6);
  EXPECT_EQ(format_ip(client.saddr, client.family), "2001:db8:f::100");
  EXPECT_EQ(format_ip(client.daddr, client.family), "2001:db8:c::10");
  EXPECT_EQ(client.seq, 5000u);
  EXPECT_EQ(endpoint.family, XLB_AF_INET6);
  EXPECT_EQ(format_ip(endpoint.saddr, endpoint.family), "2001:db8:c::10");
  EXPECT_EQ(format_ip(endpoint.daddr, endpoint.family), "2001:db8:b::10");
  EXPECT_EQ(endpoint.dport, 8080);
}

// NAT64: client [2001:db8:c::10]:40000 -> VIP [2001:db8:f::100]:80, toward the IPv4 endpoint
// 10.0.1.2:8080 from the SNAT address 10.0.0.250:1030. Each end is reset in its own family.
TEST(RstSegments, Nat64FlowsResetTheClientInIpv6AndTheEndpointInIpv4) {
  ExpiredTcpFlow f = nat_flow();
  f.orig_key.family = XLB_AF_INET6;
  f.orig_key.saddr = parse_ip("2001:db8:c::10")->addr;
  f.orig_key.daddr = parse_ip("2001:db8:f::100")->addr;
  f.orig.flags |= XLB_CT_F_SNAT;
  f.orig.nat_family = XLB_AF_INET;
  f.orig.nat_saddr = ip("10.0.0.250");
  f.orig.nat_sport = htons(1030);
  auto [client, endpoint] = rst_segments(f);
  EXPECT_EQ(client.family, XLB_AF_INET6);
  EXPECT_EQ(format_ip(client.saddr, client.family), "2001:db8:f::100");
  EXPECT_EQ(format_ip(client.daddr, client.family), "2001:db8:c::10");
  EXPECT_EQ(endpoint.family, XLB_AF_INET);
  EXPECT_EQ(format_ip(endpoint.saddr, endpoint.family), "10.0.0.250");
  EXPECT_EQ(endpoint.sport, 1030);
  EXPECT_EQ(format_ip(endpoint.daddr, endpoint.family), "10.0.1.2");
  EXPECT_EQ(rst_packet(endpoint).size(), sizeof(iphdr) + sizeof(tcphdr)) << "an IPv4 packet";
}

TEST(RstPacket, Ipv6HeaderAndThePseudoHeaderChecksum) {
  RstSegment seg{parse_ip("2001:db8:f::100")->addr,
                 parse_ip("2001:db8:c::10")->addr,
                 80,
                 40000,
                 5000,
                 1000,
                 XLB_AF_INET6};
  auto packet = rst_packet(seg);
  ASSERT_EQ(packet.size(), sizeof(ip6_hdr) + sizeof(tcphdr));
  ip6_hdr ip6;
  tcphdr th;
  std::memcpy(&ip6, packet.data(), sizeof ip6);
  std::memcpy(&th, packet.data() + sizeof ip6, sizeof th);
  EXPECT_EQ(packet[0] >> 4, 6) << "version";
  EXPECT_EQ(ntohs(ip6.ip6_plen), sizeof th) << "payload length: the TCP header alone";
  EXPECT_EQ(ip6.ip6_nxt, IPPROTO_TCP);
  EXPECT_EQ(ip6.ip6_hlim, 64);
  EXPECT_EQ(std::memcmp(&ip6.ip6_src, seg.saddr.w, 16), 0);
  EXPECT_EQ(std::memcmp(&ip6.ip6_dst, seg.daddr.w, 16), 0);
  expect_rst_header(th, seg);
  // RFC 8200 8.1: source, destination, 32-bit upper-layer length, 24 zero bits, next header.
  uint8_t pseudo[40] = {};
  std::memcpy(pseudo, &ip6.ip6_src, 32);
  pseudo[35] = sizeof th;
  pseudo[39] = IPPROTO_TCP;
  const uint16_t pseudo_sum = ones_sum(pseudo, sizeof pseudo);
  EXPECT_EQ(ones_sum(packet.data() + sizeof ip6, sizeof th, pseudo_sum), 0xffff)
      << "TCP checksum over the IPv6 pseudo-header";
}

}  // namespace
}  // namespace xlb

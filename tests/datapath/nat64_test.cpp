// NAT64 (RFC 7915): a FullNAT rule whose VIP is IPv6 and whose endpoints are IPv4. Client packets
// leave as IPv4 from the LB's IPv4 address, replies return as IPv6 from the VIP; ICMPv4 errors
// from the IPv4 side reach the client as ICMPv6 errors about the packet it sent. Every expected
// frame is built from scratch by the packet builder in its own family (libtins' checksums), never
// derived from the datapath's output, and Forwarded() verifies every checksum (quoted ones too)
// with the tests' own RFC 1071 code.
#include <cstring>
#include <string>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint16_t kNat64Cport = 20000;  // in the SNAT range: FullNAT keeps it
constexpr uint32_t kNat64SvcId = 46;

class Nat64Test : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    flow_.cport = kNat64Cport;
    install(flow_.rule, fullnat(make_svc(kNat64SvcId, XLB_SEL_RR, {ep_})));
  }
  // The client's IPv6 segment (hop limit 64, traffic class `tclass`).
  Bytes client_seg(const Seg& s, uint8_t tclass = 0) const {
    Ip4 ip = flow_.client_ip();
    ip.tos = tclass;
    return tcp_frame(flow_.client_l2(), ip, kNat64Cport, 80, s.flags, s.seq, s.ack, s.payload);
  }
  // The same segment as the endpoint must receive it: IPv4 from the LB's address, TTL 63,
  // identification 0, DF set, TOS = the traffic class.
  Bytes at_endpoint(const Seg& s, uint8_t tos = 0) const {
    Ip4 ip{snat_.c_str(), ep_.host.ip, 63, 0, true};
    ip.tos = tos;
    return tcp_frame({kLbBeMac, ep_.host.mac, std::nullopt}, ip, kNat64Cport, ep_.port, s.flags,
                     s.seq, s.ack, s.payload);
  }
  // The endpoint's IPv4 segment to the LB's address.
  Bytes endpoint_seg(const Seg& s, uint8_t tos = 0) const {
    Ip4 ip{ep_.host.ip, snat_.c_str()};
    ip.tos = tos;
    return tcp_frame({ep_.host.mac, kLbBeMac, std::nullopt}, ip, ep_.port, kNat64Cport, s.flags,
                     s.seq, s.ack, s.payload);
  }
  // ... as the client must receive it: IPv6 from the VIP, hop limit 63.
  Bytes at_client(const Seg& s, uint8_t tclass = 0) const {
    Ip4 ip{kVip6, kClient6.ip, 63};
    ip.tos = tclass;
    return tcp_frame({kLbCliMac, kClient6.mac, std::nullopt}, ip, 80, kNat64Cport, s.flags, s.seq,
                     s.ack, s.payload);
  }
  // The reply tuple's key: IPv4, endpoint -> the LB's address.
  xlb_ct_key reply_key(uint8_t proto = IPPROTO_TCP, uint16_t ep_port = 8080) const {
    xlb_ct_key k{};
    k.saddr = xip(ep_.host.ip);
    k.daddr = xip(snat_.c_str());
    k.sport = htons(ep_port);
    k.dport = htons(kNat64Cport);
    k.proto = proto;
    k.family = XLB_AF_INET;
    return k;
  }
  void handshake() {
    ASSERT_TRUE(Forwarded(from_client(client_seg({tcpf::SYN, 1000, 0})),
                          at_endpoint({tcpf::SYN, 1000, 0})));
    ASSERT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::SYN | tcpf::ACK, 5000, 1001})),
                          at_client({tcpf::SYN | tcpf::ACK, 5000, 1001})));
    ASSERT_TRUE(Forwarded(from_client(client_seg({tcpf::ACK, 1001, 5001})),
                          at_endpoint({tcpf::ACK, 1001, 5001})));
  }

  const EpSpec ep_{kEndpoints[0], 8080};
  std::string snat_ = kLbBeIp;  // no --snat: the FIB's IPv4 source toward the endpoint
  Flow flow_ = v6_flow();
};

TEST_F(Nat64Test, TcpSynBecomesIpv4FromTheLbsAddressAndBothEntriesKeepTheirFamilies) {
  auto before = stats();
  EXPECT_TRUE(
      Forwarded(from_client(client_seg({tcpf::SYN, 1000, 0})), at_endpoint({tcpf::SYN, 1000, 0})));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(flow_.orig_key().family, XLB_AF_INET6);
  EXPECT_EQ(orig->nat_family, XLB_AF_INET);
  EXPECT_EQ(orig->mode, XLB_MODE_FULLNAT);
  EXPECT_EQ(orig->state, XLB_CT_SYN_SENT);
  auto reply = ct(reply_key());
  ASSERT_TRUE(reply) << "the reply entry is keyed by the IPv4 tuple";
  EXPECT_EQ(reply->nat_family, XLB_AF_INET6);
  const xlb_ct_key orig_key = flow_.orig_key();
  EXPECT_EQ(std::memcmp(&reply->nat_daddr, &orig_key.saddr, 16), 0);
  EXPECT_EQ(flows().size(), 2u);
}

TEST_F(Nat64Test, RepliesBecomeIpv6FromTheVipAndTheFlowEstablishes) {
  handshake();
  const Bytes page(1200, 0x5a);
  EXPECT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::ACK | tcpf::PSH, 5001, 1001, page})),
                        at_client({tcpf::ACK | tcpf::PSH, 5001, 1001, page})));
  const Bytes req = {'G', 'E', 'T', ' ', '/'};  // odd length: the checksum's padding byte
  EXPECT_TRUE(Forwarded(from_client(client_seg({tcpf::ACK | tcpf::PSH, 1001, 6201, req})),
                        at_endpoint({tcpf::ACK | tcpf::PSH, 1001, 6201, req})));
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_EST);
}

TEST_F(Nat64Test, TrafficClassAndTosCrossOverAndTheHopLimitIsDecremented) {
  EXPECT_TRUE(Forwarded(from_client(client_seg({tcpf::SYN, 1000, 0}, 0xb8)),
                        at_endpoint({tcpf::SYN, 1000, 0}, 0xb8)));
  EXPECT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::SYN | tcpf::ACK, 5000, 1001}, 0x28)),
                        at_client({tcpf::SYN | tcpf::ACK, 5000, 1001}, 0x28)));
}

TEST_F(Nat64Test, UdpBothWaysFromTheRulesSnatAddress) {
  Flow udp = v6_flow(53, IPPROTO_UDP);
  udp.cport = kNat64Cport;
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, fullnat(make_svc(47, XLB_SEL_RR, {dns}), {"10.0.2.5"}));
  const Bytes query = {'q', 'u', 'e', 'r', 'y'};
  Ip4 v4_out{"10.0.2.5", dns.host.ip, 63, 0, true};
  EXPECT_TRUE(Forwarded(
      from_client(udp.client_udp(query)),
      udp_frame({kLbBeMac, dns.host.mac, std::nullopt}, v4_out, kNat64Cport, 5353, query)));
  const Bytes answer(41, 0xa5);
  Bytes reply = udp_frame({dns.host.mac, kLbBeMac, std::nullopt}, {dns.host.ip, "10.0.2.5"}, 5353,
                          kNat64Cport, answer);
  EXPECT_TRUE(
      Forwarded(from_backend(reply), udp_frame({kLbCliMac, kClient6.mac, std::nullopt},
                                               {kVip6, kClient6.ip, 63}, 53, kNat64Cport, answer)));
  EXPECT_EQ(ct(udp.orig_key())->state, XLB_CT_UDP_EST);
}

// The one thing an IPv4 UDP datagram may lack that IPv6 requires: a checksum. Not translated.
TEST_F(Nat64Test, AUdpReplyWithoutChecksumIsDroppedNotTranslated) {
  Flow udp = v6_flow(53, IPPROTO_UDP);
  udp.cport = kNat64Cport;
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, fullnat(make_svc(47, XLB_SEL_RR, {dns})));
  ASSERT_EQ(from_client(udp.client_udp({1, 2, 3})).action, TC_ACT_REDIRECT);
  Bytes reply = udp_frame({dns.host.mac, kLbBeMac, std::nullopt}, {dns.host.ip, kLbBeIp}, 5353,
                          kNat64Cport, {4, 5, 6});
  auto l = ip_layout(reply);
  ASSERT_TRUE(l);
  reply[l->l4 + 6] = reply[l->l4 + 7] = 0;
  auto before = stats();
  EXPECT_TRUE(Dropped(from_backend(reply)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_REWRITE, 1}}));
}

TEST_F(Nat64Test, ExtensionHeadersAreNotTranslatedAndStartNoFlow) {
  Ip4 ip = flow_.client_ip();
  ip.ext = {60};
  Bytes syn = tcp_frame(flow_.client_l2(), ip, kNat64Cport, 80, tcpf::SYN, 1000, 0);
  auto before = stats();
  EXPECT_TRUE(Dropped(from_client(syn)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_REWRITE, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(Nat64Test, AVlanTaggedClientFrameLeavesUntaggedAsIpv4) {
  L2 tagged = flow_.client_l2();
  tagged.vlan = 100;
  Bytes syn = tcp_frame(tagged, flow_.client_ip(), kNat64Cport, 80, tcpf::SYN, 1000, 0);
  EXPECT_TRUE(Forwarded(from_client(syn), at_endpoint({tcpf::SYN, 1000, 0})));
}

// Proxy Protocol v2 tells the IPv4 endpoint the IPv6 client and VIP (TCP over IPv6, 52 bytes),
// in the handshake's last ACK; the client's sequence numbers shift by 52 from then on.
TEST_F(Nat64Test, Ppv2CarriesTheIpv6ClientToTheIpv4Endpoint) {
  xlb_svc svc = fullnat(make_svc(kNat64SvcId, XLB_SEL_RR, {ep_}));
  svc.flags |= XLB_SVC_F_PPV2;
  install(flow_.rule, svc);
  ASSERT_TRUE(
      Forwarded(from_client(client_seg({tcpf::SYN, 1000, 0})), at_endpoint({tcpf::SYN, 1000, 0})));
  ASSERT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::SYN | tcpf::ACK, 5000, 1001})),
                        at_client({tcpf::SYN | tcpf::ACK, 5000, 1001})));
  const Bytes header = proxy_v2_header(kClient6.ip, kVip6, kNat64Cport, 80);
  ASSERT_EQ(header.size(), 52u);
  EXPECT_TRUE(Forwarded(from_client(client_seg({tcpf::ACK, 1001, 5001})),
                        at_endpoint({tcpf::ACK, 1001, 5001, header})));
  EXPECT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::ACK, 5001, 1001 + 52})),
                        at_client({tcpf::ACK, 5001, 1001})));
  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_TRUE(Forwarded(from_client(client_seg({tcpf::ACK | tcpf::PSH, 1001, 5001, hello})),
                        at_endpoint({tcpf::ACK | tcpf::PSH, 1001 + 52, 5001, hello})));
  // The endpoint acknowledges header and data; the client sees its own sequence space.
  EXPECT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::ACK, 5001, 1001 + 52 + 5})),
                        at_client({tcpf::ACK, 5001, 1001 + 5})));
}

TEST_F(Nat64Test, IcmpEchoToANat64VipIsAnsweredByTheLb) {
  Bytes req = icmp6_echo_frame(flow_.client_l2(), flow_.client_ip(), 128, 7, 1, {1, 2, 3, 4});
  Bytes reply = icmp6_echo_frame({kLbCliMac, kClient6.mac, std::nullopt}, {kVip6, kClient6.ip}, 129,
                                 7, 1, {1, 2, 3, 4});
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(req), reply));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_ECHO_REPLY, 1}}));
  EXPECT_TRUE(flows().empty());
}

// ICMPv4 errors from the IPv4 side about the flow: the client gets an ICMPv6 error from the VIP
// quoting its own packet (hop limit as the error quoted it), every checksum valid.
class Nat64IcmpTest : public Nat64Test {
 protected:
  // Sends the client's data segment; returns (what the endpoint got, what the client sent).
  std::pair<Bytes, Bytes> data_sent(size_t len) {
    handshake();
    const Seg s{tcpf::ACK | tcpf::PSH, 1001, 5001, Bytes(len, 0x77)};
    Verdict v = from_client(client_seg(s));
    EXPECT_TRUE(Forwarded(v, at_endpoint(s)));
    return {v.frame, client_seg(s)};
  }
  // An ICMPv4 error from the endpoint to the LB's address quoting `quote_len` bytes of `sent`.
  Bytes error_from_endpoint(uint8_t type, uint8_t code, uint16_t mtu, const Bytes& sent,
                            size_t quote_len) const {
    Bytes q = ip_packet(sent);
    q.resize(quote_len);
    Ip4 ip{ep_.host.ip, snat_.c_str()};
    ip.dont_fragment = false;
    return icmp_error_frame({ep_.host.mac, kLbBeMac, std::nullopt}, ip, type, code, mtu, q);
  }
  // The ICMPv6 error the client must get: from the VIP, quoting `v6_len` bytes of its own
  // packet with the hop limit the IPv4 quote carried (63).
  Bytes error_to_client(uint8_t type, uint8_t code, uint32_t info, const Bytes& sent,
                        size_t v6_len) const {
    Bytes q = ip_packet(sent);
    q[7] = 63;  // hop limit
    q.resize(v6_len);
    return icmp6_error_frame({kLbCliMac, kClient6.mac, std::nullopt}, {kVip6, kClient6.ip, 63},
                             type, code, info, q);
  }
};

TEST_F(Nat64IcmpTest, FragmentationNeededBecomesPacketTooBigWithTheMtuPlus20) {
  auto [v4, v6] = data_sent(1000);
  const size_t whole = ip_packet(v4).size();  // Linux quotes as much as fits
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_backend(error_from_endpoint(3, 4, 1400, v4, whole)),
                        error_to_client(2, 0, 1420, v6, whole + 20)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}}));
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_EST) << "the flow goes on";
}

TEST_F(Nat64IcmpTest, PacketTooBigNeverAdvertisesLessThan1280) {
  auto [v4, v6] = data_sent(100);
  EXPECT_TRUE(Forwarded(from_backend(error_from_endpoint(3, 4, 576, v4, 28)),
                        error_to_client(2, 0, 1280, v6, 48)));
}

TEST_F(Nat64IcmpTest, DestinationUnreachableCodesAreMappedPerRfc7915) {
  auto [v4, v6] = data_sent(40);
  struct {
    uint8_t code4, type6, code6;
    uint32_t info;
  } const cases[] = {{0, 1, 0, 0},  {1, 1, 0, 0},  {3, 1, 4, 0},
                     {10, 1, 1, 0}, {13, 1, 1, 0}, {2, 4, 1, 6}};
  for (const auto& c : cases) {
    EXPECT_TRUE(Forwarded(from_backend(error_from_endpoint(3, c.code4, 0, v4, 48)),
                          error_to_client(c.type6, c.code6, c.info, v6, 68)))
        << "ICMPv4 3/" << int(c.code4);
  }
}

TEST_F(Nat64IcmpTest, TimeExceededBecomesTimeExceeded) {
  auto [v4, v6] = data_sent(40);
  EXPECT_TRUE(Forwarded(from_backend(error_from_endpoint(11, 0, 0, v4, 28)),
                        error_to_client(3, 0, 0, v6, 48)));
}

TEST_F(Nat64IcmpTest, AnErrorWithoutAnIcmpv6CounterpartIsTheKernels) {
  auto [v4, v6] = data_sent(40);
  Bytes err = error_from_endpoint(3, 14, 0, v4, 28);  // precedence cutoff: RFC 7915 drops it
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(err), err));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

// HA: the flow as conntrack sync reports it, installed on a fresh node, is forwarded there byte
// for byte as here (the reply entry derived with its family, synced_flow.h).
TEST_F(Nat64Test, ASyncedNat64FlowIsForwardedAsOnTheNodeThatCreatedIt) {
  ASSERT_TRUE(dp().set_flow_events(true).ok());
  handshake();
  auto events = flow_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].entry.nat_family, XLB_AF_INET);

  ASSERT_NO_FATAL_FAILURE(open_datapath(65536, 0));
  install(flow_.rule, fullnat(make_svc(kNat64SvcId, XLB_SEL_RR, {ep_})));
  ASSERT_TRUE(dp().install_synced_flow(events[0].key, events[0].entry).ok());
  auto reply = ct(reply_key());
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->nat_family, XLB_AF_INET6);
  const Bytes data(333, 0x42);
  EXPECT_TRUE(Forwarded(from_client(client_seg({tcpf::ACK | tcpf::PSH, 1001, 5001, data})),
                        at_endpoint({tcpf::ACK | tcpf::PSH, 1001, 5001, data})));
  EXPECT_TRUE(Forwarded(from_backend(endpoint_seg({tcpf::ACK | tcpf::PSH, 5001, 1334, data})),
                        at_client({tcpf::ACK | tcpf::PSH, 5001, 1334, data})));
}

}  // namespace
}  // namespace xlbtest

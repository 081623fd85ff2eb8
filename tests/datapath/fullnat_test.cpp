// FullNAT: DNAT + SNAT of new flows (to the LB's address toward the endpoint, or to the rule's
// --snat addresses), reply un-NAT of both addresses and ports, source port allocation
// (client port kept when free, colliding clients fanned out, a counted refusal when every probe
// is taken), UDP.
#include <set>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint16_t kFirstPort = XLB_SNAT_PORT_MIN;
constexpr uint16_t kLastPort = XLB_SNAT_PORT_MAX;

class FullNatTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_})));
  }
  // A client flow whose port is in the SNAT range, so the LB can keep it.
  static Flow client_flow(const Host& client, uint16_t cport) {
    Flow f;
    f.client = client;
    f.cport = cport;
    return f;
  }
  // Sends f's SYN; on success sets f.snat from the forwarded frame after checking the whole
  // frame and both CT entries against it.
  void open(Flow& f, const EpSpec& ep, uint16_t ep_idx = 0) {
    Bytes syn = f.client_tcp(tcpf::SYN);
    Verdict v = from_client(syn);
    auto source = source_of(v);
    ASSERT_TRUE(source) << "SYN from " << f.client.ip << ":" << f.cport << " not forwarded";
    f.snat = source;
    EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, ep)));
    EXPECT_TRUE(FlowTracked(dp(), f, ep, kSvcId, ep_idx, XLB_CT_SYN_SENT));
  }
  // Holds every `step`-th port of the range toward (LB address, ep_, 8080), starting at the
  // first, with the reply entries live flows of another client would have.
  void hold_ports(uint32_t step) {
    for (uint32_t port = kFirstPort; port <= kLastPort; port += step) {
      const xlb_ct_entry holder =
          fullnat_reply_entry(kSvcId, kVip, 80, kClient2.ip, static_cast<uint16_t>(port));
      ASSERT_NO_FATAL_FAILURE(put_ct(reply_key(kLbBeIp, static_cast<uint16_t>(port), ep_), holder));
    }
  }
  // The reply entry a live flow from snat_ip:port to ep holds (what the allocator probes).
  static xlb_ct_key reply_key(const char* snat_ip, uint16_t port, const EpSpec& ep) {
    Flow f;
    f.snat = Snat{snat_ip, port};
    return f.reply_key(ep);
  }

  // With `pool` as the rule's --snat addresses and first..last this node's ports, opens from one
  // client groups of ports that all try one SNAT port first (first + k): the port kept as is,
  // last + 1 + i and, with three addresses, the next port shifted onto k (range size apart).
  // Each must get that port (no probe) on its own address: every (address, port) pair distinct.
  // Under a whole-tuple hash a group meets on one address once in n, and the later port probes
  // away. Then a reused client tuple gets its own pair back.
  void expect_ports_map_one_to_one_onto_address_port_pairs(const std::vector<const char*>& pool,
                                                           uint32_t first = kFirstPort,
                                                           uint32_t last = kLastPort) {
    const uint32_t range = last - first + 1;
    constexpr uint32_t kGroups = 64, kLearn = 65535;
    Rule rule{kVip, 83};
    install(rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_}), pool));
    auto on_rule = [&](uint32_t cport) {
      Flow f = client_flow(kClient, static_cast<uint16_t>(cport));
      f.rule = rule;
      return f;
    };
    // The client's offset, from one shifted port: SNAT port = first + (port + offset) % range.
    Flow learn = on_rule(kLearn);
    ASSERT_NO_FATAL_FAILURE(open(learn, ep_));
    const uint32_t offset = (learn.snat->port - first + range - kLearn % range) % range;
    std::set<std::pair<std::string, uint16_t>> pairs = {{learn.snat->ip, learn.snat->port}};
    std::vector<Flow> opened;
    for (uint32_t i = 0; i < kGroups; ++i) {
      const uint32_t shifted = last + 1 + i, k = (shifted + offset) % range;
      std::vector<uint32_t> group = {first + k, shifted};
      if (pool.size() >= 3) group.push_back(shifted + range);
      for (uint32_t cport : group) {
        Flow f = on_rule(cport);
        ASSERT_NO_FATAL_FAILURE(open(f, ep_));
        EXPECT_EQ(f.snat->port, first + k) << "client port " << cport << " probed";
        EXPECT_TRUE(pairs.insert({f.snat->ip, f.snat->port}).second)
            << "client port " << cport << " got " << f.snat->ip << ":" << f.snat->port << " twice";
        opened.push_back(f);
      }
    }
    std::set<std::string> used;
    for (const Flow& f : opened) used.insert(f.snat->ip);
    EXPECT_EQ(used.size(), pool.size()) << "every --snat address in use";
    // Closed and reused: the same address and port again.
    Flow& reused = opened.at(1);
    const Snat had = *reused.snat;
    Bytes rst = reused.client_tcp(tcpf::RST);
    EXPECT_TRUE(Forwarded(from_client(rst), reused.to_endpoint(rst, ep_)));
    ASSERT_NO_FATAL_FAILURE(open(reused, ep_));
    EXPECT_EQ(reused.snat->ip, had.ip);
    EXPECT_EQ(reused.snat->port, had.port);
  }

  static constexpr uint32_t kSvcId = 11;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_ = client_flow(kClient, 20000);
};

TEST_F(FullNatTest, SynIsSnatedToTheLbAddressTowardTheEndpointKeepingTheClientPort) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  Verdict v = from_client(syn);
  Flow expected = flow_;
  expected.snat = Snat{kLbBeIp, flow_.cport};  // xlbb0's address: the kernel's choice
  EXPECT_TRUE(Forwarded(v, expected.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), expected, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(flows().size(), 2u) << "one orig and one reply entry";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
  EXPECT_EQ(svc_counter(kSvcId).new_flows, 1u);
}

TEST_F(FullNatTest, EndpointBehindAGatewayGetsTheLbAddressOnThatRoute) {
  const EpSpec routed{kRoutedEndpoints[0], 8080};
  Flow f = client_flow(kClient, 20002);
  f.rule.port = 83;
  install(f.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {routed})));
  Bytes syn = f.client_tcp(tcpf::SYN);
  f.snat = Snat{kLbGwIp, f.cport};  // xlbr0's address: the route to 10.0.4.0/24 leaves there
  EXPECT_TRUE(
      Forwarded(from_client(syn), Rewrite(f.to_endpoint(syn, routed)).eth_src(kLbGwMac).build()));
  EXPECT_TRUE(FlowTracked(dp(), f, routed, kSvcId, 0, XLB_CT_SYN_SENT));
}

TEST_F(FullNatTest, RepliesAreUnNatedInBothAddressesAndPortsThroughTheHandshake) {
  ASSERT_NO_FATAL_FAILURE(open(flow_, ep_));
  ASSERT_EQ(flow_.snat->port, flow_.cport);

  Bytes synack = flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_backend(synack), flow_.to_client(synack)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_RECV));

  Bytes ack = flow_.client_tcp(tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_client(ack), flow_.to_endpoint(ack, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));

  Bytes data = flow_.endpoint_tcp(ep_, tcpf::ACK | tcpf::PSH, Bytes(777, 0x3c));
  EXPECT_TRUE(Forwarded(from_backend(data), flow_.to_client(data)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 3}}));
}

TEST_F(FullNatTest, RuleSnatAddressIsUsedAndRepliesToItAreUnNated) {
  Flow f = client_flow(kClient, 20001);
  f.rule.port = 81;
  install(f.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_}), {"10.0.2.100"}));
  Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  f.snat = Snat{"10.0.2.100", f.cport};
  EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), f, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  Bytes synack = f.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), f.to_client(synack)));
}

TEST_F(FullNatTest, SeveralRuleSnatAddressesAreAllUsed) {
  Rule rule{kVip, 82};
  const std::set<std::string> pool = {"10.0.2.100", "10.0.2.101"};
  install(rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_}), {"10.0.2.100", "10.0.2.101"}));
  std::set<std::string> used;
  for (uint16_t i = 0; i < 40; ++i) {
    Flow f = client_flow(kClient, static_cast<uint16_t>(21000 + i));
    f.rule = rule;
    ASSERT_NO_FATAL_FAILURE(open(f, ep_));
    EXPECT_TRUE(pool.count(f.snat->ip)) << "SNAT address " << f.snat->ip << " not in --snat";
    used.insert(f.snat->ip);
  }
  EXPECT_EQ(used, pool) << "40 flows on one of two --snat addresses";
}

TEST_F(FullNatTest, ClientPortOutsideTheRangeGetsAPortFromTheRange) {
  Flow f = client_flow(kClient, 40000);  // in the kernel's ephemeral range: never kept
  ASSERT_NO_FATAL_FAILURE(open(f, ep_));
  EXPECT_EQ(f.snat->ip, kLbBeIp);
  EXPECT_GE(f.snat->port, kFirstPort);
  EXPECT_LE(f.snat->port, kLastPort);
  Bytes synack = f.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), f.to_client(synack)));
}

// A client's ports outside the range map one to one onto SNAT ports, all shifted by one offset
// (the client's and the rule's, snat_port_start): a client that reuses a port gets back the
// SNAT port it had, so the endpoint, still holding that tuple in TIME_WAIT, sees the same
// connection's timestamps continue (docs/modes.md). With a start hashed from the whole tuple,
// the offsets differ from port to port and this fails.
TEST_F(FullNatTest, OneClientsPortsMapOneToOneOntoSnatPortsByOneOffset) {
  constexpr uint32_t kRange = kLastPort - kFirstPort + 1;
  constexpr uint16_t kFirstClientPort = 40000, kPorts = 2000;
  std::set<uint32_t> offsets;
  std::vector<Flow> opened;
  for (uint16_t i = 0; i < kPorts; ++i) {
    Flow f = client_flow(kClient, static_cast<uint16_t>(kFirstClientPort + i));
    ASSERT_NO_FATAL_FAILURE(open(f, ep_));
    offsets.insert((f.snat->port - kFirstPort + kRange - f.cport % kRange) % kRange);
    opened.push_back(f);
  }
  EXPECT_EQ(offsets.size(), 1u) << "every port of one client shifted by the same offset";
  // Closed and reused: the same SNAT port again, though 1,999 other flows came meanwhile.
  Flow& first = opened.front();
  const uint16_t had = first.snat->port;
  Bytes rst = first.client_tcp(tcpf::RST);
  EXPECT_TRUE(Forwarded(from_client(rst), first.to_endpoint(rst, ep_)));
  ASSERT_NO_FATAL_FAILURE(open(first, ep_));
  EXPECT_EQ(first.snat->port, had);
  // Another client's offset differs: its ports interleave with the first client's.
  Flow other = client_flow(kClient2, static_cast<uint16_t>(kFirstClientPort + kPorts));
  ASSERT_NO_FATAL_FAILURE(open(other, ep_));
  EXPECT_EQ(offsets.count((other.snat->port - kFirstPort + kRange - other.cport % kRange) % kRange),
            0u);
}

TEST_F(FullNatTest, ClientsSharingASourcePortGetDistinctPortsAndReplyEntries) {
  constexpr size_t kClients = 100;
  std::set<uint16_t> ports;
  std::vector<Flow> opened;
  for (size_t i = 0; i < kClients; ++i) {
    Flow f = client_flow(client_host(i), 20000);
    ASSERT_NO_FATAL_FAILURE(open(f, ep_));
    EXPECT_EQ(f.snat->ip, kLbBeIp);
    EXPECT_GE(f.snat->port, kFirstPort);
    EXPECT_LE(f.snat->port, kLastPort);
    if (i == 0) {
      EXPECT_EQ(f.snat->port, 20000) << "the first client keeps its port";
    }
    EXPECT_TRUE(ports.insert(f.snat->port).second)
        << "client " << f.client.ip << " got SNAT port " << f.snat->port << " twice";
    opened.push_back(f);
  }
  EXPECT_EQ(flows().size(), 2 * kClients);
  // Every flow still resolves to its own client: no reply entry was overwritten.
  for (const Flow& f : opened) EXPECT_TRUE(FlowTracked(dp(), f, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  // kClient2 (a neighbour the LB knows) got an allocated port: its replies find it.
  const Flow& second = opened.at(1);
  ASSERT_NE(second.snat->port, second.cport);
  Bytes synack = second.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), second.to_client(synack)));
}

TEST_F(FullNatTest, PortsAreAllocatedPerEndpointSoOneClientPortServesTwoEndpoints) {
  const std::vector<EpSpec> eps = endpoints(2);
  install(flow_.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, eps)));
  Flow a = client_flow(kClient, 20000);
  Flow b = client_flow(kClient2, 20000);
  ASSERT_NO_FATAL_FAILURE(open(a, eps[0], 0));
  ASSERT_NO_FATAL_FAILURE(open(b, eps[1], 1));
  EXPECT_EQ(a.snat->port, 20000);
  EXPECT_EQ(b.snat->port, 20000) << "(SNAT address, port) is free toward another endpoint";
}

TEST_F(FullNatTest, AllPortsTakenRefusesTheFlowVisiblyAndAFreedPortIsUsedAtOnce) {
  // Every port of the range is held toward (LB address, endpoint, endpoint port), so all 32
  // probes fail whatever the allocator's hash start.
  ASSERT_NO_FATAL_FAILURE(hold_ports(1));
  const size_t held = kLastPort - kFirstPort + 1;
  ASSERT_EQ(held, 31744u);
  ASSERT_EQ(flows().size(), held);

  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(Dropped(from_client(syn)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_SNAT_EXHAUSTED, 1}}));
  EXPECT_FALSE(ct(flow_.orig_key())) << "a refused flow has no orig entry";
  EXPECT_EQ(flows().size(), held) << "nothing inserted, nothing evicted";
  EXPECT_EQ(svc_counter(kSvcId).new_flows, 0u);
  EXPECT_EQ(active(kSvcId, 0), 0u);

  ASSERT_TRUE(dp().delete_flow(reply_key(kLbBeIp, flow_.cport, ep_)).ok());
  ASSERT_NO_FATAL_FAILURE(open(flow_, ep_));
  EXPECT_EQ(flow_.snat->port, flow_.cport);
}

// Several --snat addresses hold more of one client's ports than one address: with two, a client
// port kept as is and the port that shifts onto it; with three, also the next one 31,744 apart
// (the benchmark's client on 1024-65535 then never meets itself). snat.h: snat_address_index.
TEST_F(FullNatTest, TwoSnatAddressesMapOneClientsPortsOneToOneOntoAddressPortPairs) {
  expect_ports_map_one_to_one_onto_address_port_pairs({"10.0.2.100", "10.0.2.101"});
}

TEST_F(FullNatTest, ThreeSnatAddressesMapOneClientsPortsOneToOneOntoAddressPortPairs) {
  expect_ports_map_one_to_one_onto_address_port_pairs({"10.0.2.100", "10.0.2.101", "10.0.2.102"});
}

// An HA node's own share of the ports (xlb_node.snat_ports): the same one to one mapping inside
// it, the shifted ports a share's size apart.
TEST_F(FullNatTest, SnatAddressesMapOneToOneInsideTheNodesOwnPortRange) {
  ASSERT_TRUE(dp().set_snat_port_range(kFirstPort, 16895).ok());
  expect_ports_map_one_to_one_onto_address_port_pairs({"10.0.2.100", "10.0.2.101", "10.0.2.102"},
                                                      kFirstPort, 16895);
}

// Half the range taken (every even port), and every client's own port with it: each flow must
// probe on to a free port. The documented odd stride alternates the parity of the candidates,
// so the second or third probe is free whatever the hash start.
TEST_F(FullNatTest, ProbingPastTakenPortsFindsAFreeOneWhenHalfTheRangeIsTaken) {
  ASSERT_NO_FATAL_FAILURE(hold_ports(2));
  const size_t held = (kLastPort - kFirstPort + 1) / 2;
  ASSERT_EQ(flows().size(), held);
  for (size_t i = 0; i < 30; ++i) {
    Flow f = client_flow(client_host(i), 20000);  // even: taken
    ASSERT_NO_FATAL_FAILURE(open(f, ep_));
    EXPECT_EQ(f.snat->port % 2, 1) << f.client.ip << " got a taken port";
    EXPECT_GE(f.snat->port, kFirstPort);
    EXPECT_LE(f.snat->port, kLastPort);
  }
  EXPECT_EQ(flows().size(), held + 2 * 30);
}

TEST_F(FullNatTest, ClosedFlowFreesItsPortForTheNextSyn) {
  ASSERT_NO_FATAL_FAILURE(open(flow_, ep_));
  Bytes rst = flow_.client_tcp(tcpf::RST);
  EXPECT_TRUE(Forwarded(from_client(rst), flow_.to_endpoint(rst, ep_)));
  // A new connection on the same tuple: the closed flow's reply entry goes first, so the
  // client's port is free again rather than probed past.
  ASSERT_NO_FATAL_FAILURE(open(flow_, ep_));
  EXPECT_EQ(flow_.snat->port, flow_.cport);
  EXPECT_EQ(flows().size(), 2u);
}

TEST_F(FullNatTest, UdpRequestAndReply) {
  Flow udp = client_flow(kClient, 20053);
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, fullnat(make_svc(12, XLB_SEL_RR, {dns})));

  Bytes query = udp.client_udp({'q', 'u', 'e', 'r', 'y'});
  Verdict v = from_client(query);
  udp.snat = Snat{kLbBeIp, udp.cport};
  EXPECT_TRUE(Forwarded(v, udp.to_endpoint(query, dns)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 12, 0, XLB_CT_UDP_NEW));

  Bytes answer = udp.endpoint_udp(dns, Bytes(41, 0xa5));
  EXPECT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 12, 0, XLB_CT_UDP_EST));

  Bytes again = udp.client_udp({'a', 'g', 'a', 'i', 'n'});
  EXPECT_TRUE(Forwarded(from_client(again), udp.to_endpoint(again, dns)));
}

}  // namespace
}  // namespace xlbtest

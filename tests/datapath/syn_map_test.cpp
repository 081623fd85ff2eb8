// Two conntrack maps: a new TCP flow's entries start in the syn map (xlb_ct_syn_v1), move to
// the main map (xlb_ct_v2) when the handshake completes, and a SYN flood far beyond the syn
// map's size evicts only other half-open flows. A SYN on a finished flow's tuple recycles that
// flow's main-map entries instead, without growing the main map. FullNAT's port allocator sees
// both maps.
#include <bpf/bpf.h>
#include <unistd.h>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint32_t kSvcId = 5;
constexpr uint32_t kSmallCt = 4096;
constexpr uint32_t kSmallSyn = 1024;

class SynMapTest : public DatapathTest {
 protected:
  // Re-opens the datapath with small CT maps, so a flood overflows the syn map quickly.
  void reopen_small() { open_datapath(kSmallCt, kSmallSyn); }

  bool in_main(const xlb_ct_key& k) { return in_map(XLB_MAP_CT, k); }
  bool in_syn(const xlb_ct_key& k) { return in_map(XLB_MAP_CT_SYN, k); }
  bool in_map(const char* name, const xlb_ct_key& k) {
    xlb_ct_entry e{};
    return bpf_map_lookup_elem(map_fd(name), &k, &e) == 0;
  }
  size_t count(const char* name) {
    int fd = map_fd(name);
    size_t n = 0;
    xlb_ct_key k{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
      ++n;
      k = next;
      prev = &k;
    }
    return n;
  }

  // SYN, SYN+ACK, ACK of f to ep (NAT or FullNAT), each checked on the wire.
  void handshake(Flow& f, const EpSpec& ep) {
    Bytes syn = f.client_tcp(tcpf::SYN);
    Verdict v = from_client(syn);
    if (fullnat_ && !f.snat) f.snat = source_of(v);  // the allocated port, read off the wire
    ASSERT_TRUE(Forwarded(v, f.to_endpoint(syn, ep)));
    Bytes syn_ack = f.endpoint_tcp(ep, tcpf::SYN | tcpf::ACK);
    ASSERT_TRUE(Forwarded(from_backend(syn_ack), f.to_client(syn_ack)));
    Bytes ack = f.client_tcp(tcpf::ACK);
    ASSERT_TRUE(Forwarded(from_client(ack), f.to_endpoint(ack, ep)));
  }

  bool fullnat_ = false;
  std::vector<EpSpec> eps_ = endpoints(2);
  Flow flow_;
};

class SynMapNatTest : public SynMapTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, eps_));
  }
};

TEST_F(SynMapNatTest, SynCreatesBothEntriesInTheSynMapOnly) {
  ASSERT_EQ(open_flow(flow_, eps_), 0);
  EXPECT_TRUE(in_syn(flow_.orig_key()));
  EXPECT_TRUE(in_syn(flow_.reply_key(eps_[0])));
  EXPECT_FALSE(in_main(flow_.orig_key()));
  EXPECT_FALSE(in_main(flow_.reply_key(eps_[0])));
  // Every reader of conntrack still sees the flow.
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_SYN_SENT));
  auto all = flows();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].syn_map && all[1].syn_map) << "for_each_flow marks syn-map entries";
}

TEST_F(SynMapNatTest, SynAckKeepsTheFlowInTheSynMap) {
  ASSERT_EQ(open_flow(flow_, eps_), 0);
  Bytes syn_ack = flow_.endpoint_tcp(eps_[0], tcpf::SYN | tcpf::ACK);
  ASSERT_TRUE(Forwarded(from_backend(syn_ack), flow_.to_client(syn_ack)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_SYN_RECV));
  EXPECT_TRUE(in_syn(flow_.orig_key()));
  EXPECT_FALSE(in_main(flow_.orig_key()));
}

TEST_F(SynMapNatTest, HandshakeAckPromotesBothEntriesToTheMainMap) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[0])));
  EXPECT_FALSE(in_syn(flow_.orig_key()));
  EXPECT_FALSE(in_syn(flow_.reply_key(eps_[0])));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  // The promoted copy carries what the handshake recorded: 2 client packets, 1 endpoint one.
  auto orig = ct(flow_.orig_key());
  auto reply = ct(flow_.reply_key(eps_[0]));
  ASSERT_TRUE(orig && reply);
  EXPECT_EQ(orig->packets, 2u);
  EXPECT_EQ(reply->packets, 1u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
  // And it keeps working from the main map, both ways.
  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(10, 0x61));
  EXPECT_TRUE(Forwarded(from_client(data), flow_.to_endpoint(data, eps_[0])));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));
  EXPECT_EQ(ct(flow_.orig_key())->packets, 3u);
}

TEST_F(SynMapNatTest, UdpAndMidStreamTcpStartInTheMainMap) {
  Flow mid = flow_;
  mid.cport = 40001;
  Bytes ack = mid.client_tcp(tcpf::ACK);
  Verdict v = from_client(ack);
  ASSERT_EQ(endpoint_of(v, eps_), 0);
  EXPECT_TRUE(in_main(mid.orig_key()));
  EXPECT_FALSE(in_syn(mid.orig_key()));

  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  udp.cport = 40002;
  install(udp.rule, make_svc(kSvcId + 1, XLB_SEL_RR, endpoints(1, 5353)));
  Bytes q = udp.client_udp(Bytes(8, 0x11));
  ASSERT_TRUE(Forwarded(from_client(q), udp.to_endpoint(q, endpoints(1, 5353)[0])));
  EXPECT_TRUE(in_main(udp.orig_key()));
  EXPECT_FALSE(in_syn(udp.orig_key()));
}

// A SYN on the tuple of a closed, promoted flow (a client reusing its port) recycles the flow's
// main-map entries: the orig entry is written over in place, the old reply entry makes way for
// the new one, and the handshake completes in the main map with nothing to promote.
TEST_F(SynMapNatTest, SynReusingAClosedFlowsTupleRecyclesItsMainMapEntries) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  Bytes rst = flow_.client_tcp(tcpf::RST);
  ASSERT_TRUE(Forwarded(from_client(rst), flow_.to_endpoint(rst, eps_[0])));
  ASSERT_EQ(open_flow(flow_, eps_), 1);  // rr: the next endpoint
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[1], kSvcId, 1, XLB_CT_SYN_SENT));
  EXPECT_EQ(ct(flow_.orig_key())->packets, 1u) << "a new entry, not the closed flow's";
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[1])));
  EXPECT_FALSE(in_main(flow_.reply_key(eps_[0]))) << "the closed flow's reply entry is gone";
  EXPECT_EQ(count(XLB_MAP_CT), 2u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);

  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[1]));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[1], kSvcId, 1, XLB_CT_EST));
  EXPECT_EQ(count(XLB_MAP_CT), 2u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
  Bytes data = flow_.endpoint_tcp(eps_[1], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(data), flow_.to_client(data)));
}

// A flow reset during its handshake stays in the syn map, closed. A SYN on its tuple starts over
// there: the new orig entry replaces the old one in place, the old reply entry goes, and nothing
// reaches the main map before the new handshake completes.
TEST_F(SynMapNatTest, SynReusingATupleClosedDuringItsHandshakeStartsOverInTheSynMap) {
  ASSERT_EQ(open_flow(flow_, eps_), 0);
  Bytes rst = flow_.client_tcp(tcpf::RST);
  ASSERT_TRUE(Forwarded(from_client(rst), flow_.to_endpoint(rst, eps_[0])));
  ASSERT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_CLOSED));
  ASSERT_TRUE(in_syn(flow_.orig_key()));

  ASSERT_EQ(open_flow(flow_, eps_), 1);  // rr: the next endpoint
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[1], kSvcId, 1, XLB_CT_SYN_SENT));
  EXPECT_EQ(ct(flow_.orig_key())->packets, 1u) << "a new entry, not the closed flow's";
  EXPECT_FALSE(in_syn(flow_.reply_key(eps_[0]))) << "the closed flow's reply entry is gone";
  EXPECT_EQ(count(XLB_MAP_CT), 0u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 2u);
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[1]));
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[1])));
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
}

// A finished flow to a rule's only endpoint: the new flow on its tuple has the same reply key,
// and takes over both entries in the main map (recycled in place), fresh.
TEST_F(SynMapNatTest, SynReusingAFinishedTupleToTheSameEndpointTakesOverBothKeys) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {eps_[0]}));
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  Bytes fin = flow_.client_tcp(tcpf::FIN | tcpf::ACK);
  ASSERT_TRUE(Forwarded(from_client(fin), flow_.to_endpoint(fin, eps_[0])));
  Bytes ep_fin = flow_.endpoint_tcp(eps_[0], tcpf::FIN | tcpf::ACK);
  ASSERT_TRUE(Forwarded(from_backend(ep_fin), flow_.to_client(ep_fin)));
  ASSERT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_TIME_WAIT));

  ASSERT_EQ(open_flow(flow_, {eps_[0]}), 0);
  EXPECT_EQ(count(XLB_MAP_CT), 2u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(ct(flow_.reply_key(eps_[0]))->packets, 0u) << "the new reply entry, unused yet";
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  EXPECT_EQ(ct(flow_.orig_key())->packets, 3u)
      << "the SYN twice (open_flow, handshake) and the ACK";
}

// A finished flow's entries normally share a map; should its reply entry be in the other one
// (the orig entry was found in the main map), port reuse still removes it.
TEST_F(SynMapNatTest, SynReusingAFinishedTupleFindsAReplyEntryLeftInTheOtherMap) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  Bytes rst = flow_.client_tcp(tcpf::RST);
  ASSERT_TRUE(Forwarded(from_client(rst), flow_.to_endpoint(rst, eps_[0])));
  const xlb_ct_key reply_key = flow_.reply_key(eps_[0]);
  xlb_ct_entry reply{};
  ASSERT_EQ(bpf_map_lookup_elem(map_fd(XLB_MAP_CT), &reply_key, &reply), 0);
  ASSERT_EQ(bpf_map_update_elem(map_fd(XLB_MAP_CT_SYN), &reply_key, &reply, BPF_ANY), 0);
  ASSERT_EQ(bpf_map_delete_elem(map_fd(XLB_MAP_CT), &reply_key), 0);

  ASSERT_EQ(open_flow(flow_, eps_), 1);
  EXPECT_FALSE(in_syn(reply_key)) << "the old flow's reply entry was left in the syn map";
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[1])));
}

// A reused tuple whose new flow cannot start (its endpoint has no route) leaves nothing of the
// finished flow: its orig entry, reply-less by then, would otherwise delete that reply key again
// at the tuple's next reuse, when another flow may hold it.
TEST_F(SynMapNatTest, AReusedTupleWhoseNewFlowFindsNoRouteLeavesNothingBehind) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  Bytes rst = flow_.client_tcp(tcpf::RST);
  ASSERT_TRUE(Forwarded(from_client(rst), flow_.to_endpoint(rst, eps_[0])));
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {{kUnroutableEndpoint, 8082}}));
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_ROUTE, 1}}));
  EXPECT_EQ(count(XLB_MAP_CT), 0u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
}

// A SYN+ACK asks the syn map first; one retransmitted after the handshake completed (the
// client's ACK crossed it) still finds the flow in the main map and leaves it there.
TEST_F(SynMapNatTest, SynAckAfterPromotionStillFindsTheFlowInTheMainMap) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  Bytes syn_ack = flow_.endpoint_tcp(eps_[0], tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(syn_ack), flow_.to_client(syn_ack)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  EXPECT_EQ(ct(flow_.reply_key(eps_[0]))->packets, 2u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
  EXPECT_EQ(count(XLB_MAP_CT), 2u);
}

class SynFloodTest : public SynMapTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_NO_FATAL_FAILURE(reopen_small());
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, eps_));
  }
};

// rr: were the established flow's entries evicted, its next packet would be balanced afresh
// (to the other endpoint), so the check below can fail. Main + syn maps together hold at most
// 4096 + 1024 entries; the flood wants 8 times the syn map.
TEST_F(SynFloodTest, FloodFarBeyondTheSynMapLeavesEstablishedFlowsAlone) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  const xlb_ct_entry est_orig = *ct(flow_.orig_key());

  // Each flooding SYN is answered by its endpoint, as a real backend does: the SYN+ACK looks
  // the flood's entries up, so the kernel's LRU counts them as used and, were they in the
  // main map, would evict the idle established flow before them.
  const uint32_t syns = kSmallSyn * 4;  // two entries each: 8x the syn map
  uint32_t forwarded = 0, answered = 0;
  Flow attacker;
  attacker.client = kClient2;
  for (uint32_t i = 0; i < syns; ++i) {
    attacker.cport = static_cast<uint16_t>(10000 + i);
    Verdict v = from_client(attacker.client_tcp(tcpf::SYN));
    const int ep = endpoint_of(v, eps_);
    if (ep < 0) continue;
    ++forwarded;
    Verdict back = from_backend(attacker.endpoint_tcp(eps_[ep], tcpf::SYN | tcpf::ACK));
    answered += back.action == TC_ACT_REDIRECT;
  }
  EXPECT_EQ(forwarded, syns) << "an LRU syn map makes room rather than refusing";
  EXPECT_GT(answered, syns / 2) << "most SYN+ACKs find their half-open flow";
  EXPECT_LE(count(XLB_MAP_CT_SYN), kSmallSyn);
  EXPECT_GT(count(XLB_MAP_CT_SYN), kSmallSyn / 2) << "the flood did fill the syn map";
  EXPECT_EQ(count(XLB_MAP_CT), 2u) << "no half-open flow in the main map";

  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[0])));
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->created_ns, est_orig.created_ns) << "the same entry, not a re-created one";
  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(10, 0x61));
  EXPECT_TRUE(Forwarded(from_client(data), flow_.to_endpoint(data, eps_[0])));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));

  // A legitimate handshake right after the flood still completes and is promoted.
  Flow fresh = flow_;
  fresh.cport = 40100;
  const int ep = open_flow(fresh, eps_);
  ASSERT_GE(ep, 0);
  Bytes syn_ack = fresh.endpoint_tcp(eps_[ep], tcpf::SYN | tcpf::ACK);
  ASSERT_TRUE(Forwarded(from_backend(syn_ack), fresh.to_client(syn_ack)));
  Bytes ack = fresh.client_tcp(tcpf::ACK);
  ASSERT_TRUE(Forwarded(from_client(ack), fresh.to_endpoint(ack, eps_[ep])));
  EXPECT_TRUE(in_main(fresh.orig_key()));
  EXPECT_TRUE(in_main(fresh.reply_key(eps_[ep])));
}

// SYNs on finished flows' tuples start their handshakes in the main map (recycling), but only in
// the elements of those finished flows: the main map holds as many entries after them as
// before, so none can push an established flow out, however many come.
TEST_F(SynFloodTest, SynsOnFinishedFlowsTuplesNeverGrowTheMainMap) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  const xlb_ct_entry est_orig = *ct(flow_.orig_key());
  constexpr uint16_t kFinished = 256;
  Flow old = flow_;
  old.client = kClient2;
  for (uint16_t i = 0; i < kFinished; ++i) {
    old.cport = static_cast<uint16_t>(20000 + i);
    const int ep = open_flow(old, eps_);
    ASSERT_GE(ep, 0);
    ASSERT_NO_FATAL_FAILURE(handshake(old, eps_[ep]));
    from_client(old.client_tcp(tcpf::RST));
  }
  const size_t main_before = count(XLB_MAP_CT);
  ASSERT_EQ(main_before, 2u + 2u * kFinished);

  for (int round = 0; round < 4; ++round) {  // rr: each round moves every reply key
    for (uint16_t i = 0; i < kFinished; ++i) {
      old.cport = static_cast<uint16_t>(20000 + i);
      const int ep = open_flow(old, eps_);
      ASSERT_GE(ep, 0);
      from_client(old.client_tcp(tcpf::RST));
    }
    EXPECT_EQ(count(XLB_MAP_CT), main_before) << "round " << round;
    EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u) << "round " << round;
  }
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->created_ns, est_orig.created_ns) << "the established flow's own entry";
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));
}

class SynMapFullNatTest : public SynMapTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fullnat_ = true;
    flow_.cport = 20000;  // in the SNAT range: the allocator tries to keep it first
    install(flow_.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {eps_[0]})));
  }
  // The reply key a FullNAT flow from the LB's address:port to eps_[0] holds.
  xlb_ct_key reply_key_for(uint16_t port) const {
    Flow f;
    f.snat = Snat{kLbBeIp, port};
    return f.reply_key(eps_[0]);
  }
};

TEST_F(SynMapFullNatTest, AllocationSkipsAPortWhoseReplyTupleIsInTheMainMap) {
  const xlb_ct_key held = reply_key_for(flow_.cport);
  xlb_ct_entry holder = fullnat_reply_entry(kSvcId, kVip, 80, kClient2.ip, flow_.cport);
  holder.state = XLB_CT_EST;
  ASSERT_NO_FATAL_FAILURE(put_ct(held, holder));

  Bytes syn = flow_.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  auto source = source_of(v);
  ASSERT_TRUE(source);
  EXPECT_NE(source->port, flow_.cport) << "the client's port is held by an established flow";
  flow_.snat = source;
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(syn, eps_[0])));
  EXPECT_TRUE(in_syn(flow_.reply_key(eps_[0])));
  EXPECT_FALSE(in_syn(held)) << "the probe of the held port was undone in the syn map";
  auto still = ct(held);
  ASSERT_TRUE(still) << "the established flow's reply entry is untouched";
  EXPECT_EQ(still->nat_daddr.w[0], xip(kClient2.ip).w[0]);
}

TEST_F(SynMapFullNatTest, PromotionKeepsTheAllocatedReplyEntry) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  ASSERT_TRUE(flow_.snat);
  EXPECT_TRUE(in_main(flow_.reply_key(eps_[0])));
  EXPECT_FALSE(in_syn(flow_.reply_key(eps_[0])));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));

  // The promoted tuple stays taken: another client wanting the same port probes past it.
  Flow other = flow_;
  other.client = kClient2;
  other.snat.reset();
  Verdict v = from_client(other.client_tcp(tcpf::SYN));
  auto source = source_of(v);
  ASSERT_TRUE(source);
  EXPECT_NE(source->port, flow_.snat->port);
}

// A reused client tuple (recycled in the main map) gets its SNAT port back: the old reply entry
// freed it, the new one claims it in the main map, checked free in the syn map.
TEST_F(SynMapFullNatTest, AReusedTupleRecyclesItsFlowWithTheSameSnatPort) {
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  ASSERT_TRUE(flow_.snat);
  const uint16_t port = flow_.snat->port;
  from_client(flow_.client_tcp(tcpf::RST));
  ASSERT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_CLOSED));

  Bytes syn = flow_.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  auto source = source_of(v);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->port, port);
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(syn, eps_[0])));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(count(XLB_MAP_CT), 2u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
  ASSERT_NO_FATAL_FAILURE(handshake(flow_, eps_[0]));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(10, 0x62));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));
}

class SynMapDsrTest : public SynMapTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_})));
  }
  const EpSpec ep_{kEndpoints[0], 80};
};

TEST_F(SynMapDsrTest, ClientsFirstAckPromotesTheOnlyEntry) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  ASSERT_EQ(from_client(syn).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(in_syn(flow_.orig_key()));
  EXPECT_FALSE(in_main(flow_.orig_key()));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::ACK)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_FALSE(in_syn(flow_.orig_key()));
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->state, XLB_CT_EST);
  EXPECT_EQ(orig->packets, 2u);
  EXPECT_EQ(flows().size(), 1u);
}

// DSR's one entry, recycled: a SYN on the finished flow's tuple starts over in place in the
// main map, and the client's first ACK establishes it there.
TEST_F(SynMapDsrTest, AReusedTupleRecyclesTheOnlyEntryInPlace) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::ACK)).action, TC_ACT_REDIRECT);
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::RST)).action, TC_ACT_REDIRECT);
  ASSERT_EQ(ct(flow_.orig_key())->state, XLB_CT_CLOSED);

  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(in_main(flow_.orig_key()));
  EXPECT_FALSE(in_syn(flow_.orig_key()));
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_SYN_SENT);
  EXPECT_EQ(ct(flow_.orig_key())->packets, 1u) << "a new entry, not the closed flow's";
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::ACK)).action, TC_ACT_REDIRECT);
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_EST);
  EXPECT_EQ(count(XLB_MAP_CT), 1u);
  EXPECT_EQ(count(XLB_MAP_CT_SYN), 0u);
}

}  // namespace
}  // namespace xlbtest

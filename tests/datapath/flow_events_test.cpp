// Conntrack sync's flow events (bpf/lib/flow_events.h): none at all while events are off (the
// default); when on, one "established" event as a flow enters the main conntrack (a TCP
// handshake completing, a UDP flow or a picked-up TCP flow starting) and one "closed" event as a
// TCP flow there closes, each carrying the orig key and the orig entry exactly as the map holds
// it; events beyond a full ring counted as flow_events_lost.
#include <cstring>

#include "fixture.h"

namespace xlbtest {
namespace {

using Kind = xlb::Datapath::FlowEvent::Kind;

class FlowEventsTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
    Rule udp = flow_.rule;
    udp.proto = IPPROTO_UDP;
    install(udp, make_svc(kUdpSvcId, XLB_SEL_RR, {ep_}));
  }
  void events_on(bool on) { ASSERT_TRUE(dp().set_flow_events(on).ok()); }
  // A whole TCP connection of f through the LB: handshake, data both ways, FIN both ways.
  void tcp_lifetime(const Flow& f) {
    EXPECT_TRUE(Forwarded(from_client(f.client_tcp(tcpf::SYN)),
                          f.to_endpoint(f.client_tcp(tcpf::SYN), ep_)));
    from_backend(f.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK));
    from_client(f.client_tcp(tcpf::ACK));
    from_client(f.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(100, 1)));
    from_backend(f.endpoint_tcp(ep_, tcpf::ACK | tcpf::PSH, Bytes(200, 2)));
    from_client(f.client_tcp(tcpf::FIN | tcpf::ACK));
    from_backend(f.endpoint_tcp(ep_, tcpf::FIN | tcpf::ACK));
    EXPECT_TRUE(FlowTracked(dp(), f, ep_, kSvcId, 0, XLB_CT_TIME_WAIT));
  }
  static Flow udp_flow(uint16_t cport) {
    Flow f;
    f.cport = cport;
    f.rule.proto = IPPROTO_UDP;
    return f;
  }
  // The one event reported, of `kind`, for f's orig key, holding f's orig entry as it is now.
  void expect_one_event(Kind kind, const Flow& f) {
    auto events = flow_events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, kind);
    const xlb_ct_key key = f.orig_key();
    EXPECT_EQ(std::memcmp(&events[0].key, &key, sizeof key), 0) << "not the orig key";
    auto now = ct(key);
    ASSERT_TRUE(now);
    EXPECT_EQ(std::memcmp(&events[0].entry, &*now, sizeof *now), 0)
        << "not the orig entry as the map holds it";
    EXPECT_EQ(events[0].entry.dir, XLB_DIR_ORIG);
  }

  static constexpr uint32_t kSvcId = 41, kUdpSvcId = 42;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
};

TEST_F(FlowEventsTest, NothingIsReportedWhileEventsAreOffTheDefault) {
  tcp_lifetime(flow_);
  from_client(udp_flow(40001).client_udp(Bytes(10, 3)));
  Flow reset = flow_;
  reset.cport = 40002;
  from_client(reset.client_tcp(tcpf::ACK));  // picked up mid-stream
  from_client(reset.client_tcp(tcpf::RST));
  EXPECT_TRUE(flow_events().empty());

  // On, then off again: still nothing.
  events_on(true);
  events_on(false);
  Flow later = flow_;
  later.cport = 40003;
  tcp_lifetime(later);
  from_client(udp_flow(40004).client_udp(Bytes(10, 3)));
  EXPECT_TRUE(flow_events().empty());
  EXPECT_EQ(stats().at(XLB_STAT_FLOW_EVENTS_LOST), 0u);
}

TEST_F(FlowEventsTest, ATcpFlowIsReportedWhenItsHandshakeCompletesAndWhenItCloses) {
  events_on(true);
  from_client(flow_.client_tcp(tcpf::SYN));
  from_backend(flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK));
  EXPECT_TRUE(flow_events().empty()) << "a handshake under way is not reported";

  auto before = stats();
  from_client(flow_.client_tcp(tcpf::ACK));
  expect_one_event(Kind::established, flow_);
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}})) << "no counter for an event";
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_EST);

  from_client(flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(100, 1)));
  from_client(flow_.client_tcp(tcpf::FIN | tcpf::ACK));
  EXPECT_TRUE(flow_events().empty()) << "data and a first FIN change nothing the peer needs";

  from_backend(flow_.endpoint_tcp(ep_, tcpf::FIN | tcpf::ACK));  // the reply direction
  expect_one_event(Kind::closed, flow_);
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_TIME_WAIT);
  from_client(flow_.client_tcp(tcpf::ACK));
  EXPECT_TRUE(flow_events().empty()) << "closed once";
}

TEST_F(FlowEventsTest, AResetFromTheEndpointClosesTheFlowByItsOrigKey) {
  events_on(true);
  from_client(flow_.client_tcp(tcpf::SYN));
  from_backend(flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK));
  from_client(flow_.client_tcp(tcpf::ACK));
  ASSERT_EQ(flow_events().size(), 1u);
  from_backend(flow_.endpoint_tcp(ep_, tcpf::RST));
  expect_one_event(Kind::closed, flow_);
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_CLOSED);
}

TEST_F(FlowEventsTest, AHandshakeThatNeverCompletesIsNeverReported) {
  events_on(true);
  from_client(flow_.client_tcp(tcpf::SYN));
  from_backend(flow_.endpoint_tcp(ep_, tcpf::RST));
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_CLOSED);
  EXPECT_TRUE(flow_events().empty());
}

// A client reusing its port: the new flow's handshake runs in the finished flow's main-map
// entries (recycled, conntrack.h) and is still reported only once it completes; one reset before
// then is never reported at all.
TEST_F(FlowEventsTest, AHandshakeOnAReusedTupleIsReportedWhenItCompletesOnly) {
  events_on(true);
  tcp_lifetime(flow_);
  ASSERT_EQ(flow_events().size(), 2u) << "established, then closed";

  from_client(flow_.client_tcp(tcpf::SYN));
  from_backend(flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK));
  EXPECT_TRUE(flow_events().empty()) << "a handshake under way is not reported";
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_SYN_RECV);
  from_client(flow_.client_tcp(tcpf::ACK));
  expect_one_event(Kind::established, flow_);
  EXPECT_EQ(ct(flow_.orig_key())->packets, 2u) << "the new flow's entry: its SYN and ACK";

  from_client(flow_.client_tcp(tcpf::RST));
  expect_one_event(Kind::closed, flow_);
  from_client(flow_.client_tcp(tcpf::SYN));
  from_backend(flow_.endpoint_tcp(ep_, tcpf::RST));
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_CLOSED);
  EXPECT_TRUE(flow_events().empty()) << "a handshake reset before it completed";
}

TEST_F(FlowEventsTest, UdpAndPickedUpTcpFlowsAreReportedAsTheyStart) {
  events_on(true);
  const Flow udp = udp_flow(40010);
  from_client(udp.client_udp(Bytes(10, 3)));
  expect_one_event(Kind::established, udp);
  EXPECT_EQ(ct(udp.orig_key())->state, XLB_CT_UDP_NEW);
  from_backend(udp.endpoint_udp(ep_, Bytes(10, 4)));
  EXPECT_TRUE(flow_events().empty()) << "an answered UDP flow is refreshed, not re-reported";

  Flow picked = flow_;
  picked.cport = 40011;
  from_client(picked.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(5, 5)));
  expect_one_event(Kind::established, picked);
  EXPECT_EQ(ct(picked.orig_key())->state, XLB_CT_EST);
}

TEST_F(FlowEventsTest, ADsrFlowIsReportedOnTheClientsFirstAck) {
  Flow f = flow_;
  f.rule.port = 90;
  install(f.rule, dsr(make_svc(43, XLB_SEL_RR, {ep_})));
  events_on(true);
  from_client(f.client_tcp(tcpf::SYN));
  EXPECT_TRUE(flow_events().empty());
  from_client(f.client_tcp(tcpf::ACK));
  expect_one_event(Kind::established, f);
  EXPECT_EQ(ct(f.orig_key())->mode, XLB_MODE_DSR);
  from_client(f.client_tcp(tcpf::RST));
  expect_one_event(Kind::closed, f);
}

// The ring holds XLB_FLOW_EVENTS_RING_BYTES / 152 events (144-byte records, 8-byte headers);
// more, unread, are lost and counted, and every event is either delivered or counted.
TEST_F(FlowEventsTest, EventsBeyondAFullRingAreCountedAsLost) {
  constexpr uint32_t kRecord = sizeof(xlb_flow_event) + 8;
  constexpr uint32_t kFits = XLB_FLOW_EVENTS_RING_BYTES / kRecord;
  constexpr uint32_t kFlows = kFits + 40;
  ASSERT_NO_FATAL_FAILURE(open_datapath(4 * kFlows, 0));  // no flow evicted meanwhile
  Rule udp = flow_.rule;
  udp.proto = IPPROTO_UDP;
  install(udp, make_svc(kUdpSvcId, XLB_SEL_RR, {ep_}));
  events_on(true);
  for (uint32_t n = 0; n < kFlows; ++n) {
    Flow f = udp_flow(static_cast<uint16_t>(1024 + n % 60000));
    f.client = client_host(n / 60000);
    ASSERT_EQ(from_client(f.client_udp(Bytes(4, 0))).action, TC_ACT_REDIRECT) << n;
  }
  const uint64_t lost = stats().at(XLB_STAT_FLOW_EVENTS_LOST);
  const size_t delivered = flow_events().size();
  EXPECT_EQ(delivered + lost, kFlows);
  EXPECT_EQ(delivered, kFits);
  EXPECT_EQ(lost, kFlows - kFits);

  // Read, the ring has room again.
  from_client(udp_flow(65000).client_udp(Bytes(4, 0)));
  EXPECT_EQ(flow_events().size(), 1u);
  EXPECT_EQ(stats().at(XLB_STAT_FLOW_EVENTS_LOST), lost);
}

}  // namespace
}  // namespace xlbtest

// A reply packet (endpoint -> client) of an established flow follows its reply entry alone: the
// flow's orig entry is neither read nor written (bpf/lib/conntrack.h: ct_reply_alone). The reply
// entry earns XLB_CT_RF_ALONE when the flow is established (the handshake's promotion, the first
// UDP answer); a PPv2 flow's never does. A reply carrying SYN, FIN or RST still reaches the orig
// entry and moves the flow's state. Aging reads both entries' clocks, so a flow whose only
// traffic is replies stays.
#include <chrono>
#include <cstring>
#include <thread>

#include "conntrack/aging.h"
#include "datapath/clock.h"
#include "fixture.h"

namespace xlbtest {
namespace {

class ReplyAloneTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  }
  uint8_t reply_flags() {
    const auto r = ct(flow_.reply_key(ep_));
    EXPECT_TRUE(r) << "the flow has its reply entry";
    return r ? r->reply_flags : 0xff;
  }
  void client(uint8_t flags) {
    const Bytes in = flow_.client_tcp(flags);
    ASSERT_TRUE(Forwarded(from_client(in), flow_.to_endpoint(in, ep_)));
  }
  void endpoint(uint8_t flags) {
    const Bytes in = flow_.endpoint_tcp(ep_, flags);
    ASSERT_TRUE(Forwarded(from_backend(in), flow_.to_client(in)));
  }
  // Waits, if need be, until the datapath's clock has 200 ms left in its epoch
  // (XLB_CT_ORIG_REF_SHIFT), so the packets that follow share it: a reply that starts a new one
  // reads the orig entry.
  static void wait_for_epoch_room() {
    constexpr uint64_t kEpoch = 1ull << XLB_CT_ORIG_REF_SHIFT, kRoom = 200000000;
    const uint64_t left = kEpoch - (xlb::datapath_clock_ns() & (kEpoch - 1));
    if (left < kRoom) std::this_thread::sleep_for(std::chrono::nanoseconds(left + 5000000));
  }
  void handshake() {
    client(tcpf::SYN);
    endpoint(tcpf::SYN | tcpf::ACK);
    client(tcpf::ACK);
  }

  static constexpr uint32_t kSvcId = 31;
  Flow flow_;
  EpSpec ep_{kEndpoints[0], 8080};
};

TEST_F(ReplyAloneTest, TheHandshakesPromotionMarksTheReplyEntry) {
  client(tcpf::SYN);
  endpoint(tcpf::SYN | tcpf::ACK);
  EXPECT_EQ(reply_flags(), 0) << "the handshake is under way: the SYN+ACK reached the orig entry";
  client(tcpf::ACK);
  EXPECT_EQ(reply_flags(), XLB_CT_RF_ALONE);
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));
}

class ReplyAloneSentinelTest : public ReplyAloneTest {
 protected:
  // An established flow whose orig entry, rewritten here, claims a PPv2 header: a reply that
  // reads it has its acknowledgement shifted and marks the header acknowledged there.
  void SetUp() override {
    ReplyAloneTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    wait_for_epoch_room();
    handshake();
    auto orig = ct(flow_.orig_key());
    ASSERT_TRUE(orig);
    orig->ppv2_flags = XLB_PPV2_F_ON;
    orig->ppv2_len = 28;
    orig->ppv2_seq = 900;  // the endpoint acks 1001: past the header, so it would be shifted
    put_ct(flow_.orig_key(), *orig);
    sentinel_ = *orig;
  }
  xlb_ct_entry sentinel_{};
};

// An established reply does not consult the orig entry: it goes out exactly as a plain NAT
// reply (the acknowledgement not shifted; on XDP not handed to TC for the PPv2 work), and the
// orig entry is left as it was.
TEST_F(ReplyAloneSentinelTest, AnEstablishedReplyNeitherReadsNorWritesTheOrigEntry) {
  for (int i = 0; i < 3; ++i) endpoint(tcpf::ACK);
  EXPECT_TRUE(XdpTook(XDP_REDIRECT));
  const auto after = ct(flow_.orig_key());
  ASSERT_TRUE(after);
  EXPECT_EQ(std::memcmp(&*after, &sentinel_, sizeof sentinel_), 0) << "the orig entry changed";
  const auto reply = ct(flow_.reply_key(ep_));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->packets, 4u) << "the SYN+ACK and three ACKs, all counted in the reply entry";
}

// ... except the first reply of a new epoch: the LRU map must see the orig entry used.
TEST_F(ReplyAloneSentinelTest, TheFirstReplyOfANewEpochReadsTheOrigEntry) {
  auto reply = ct(flow_.reply_key(ep_));
  ASSERT_TRUE(reply);
  reply->last_seen_ns -= 1ull << XLB_CT_ORIG_REF_SHIFT;
  put_ct(flow_.reply_key(ep_), *reply);
  ASSERT_EQ(from_backend(flow_.endpoint_tcp(ep_, tcpf::ACK)).action, TC_ACT_REDIRECT);
  const auto after = ct(flow_.orig_key());
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->ppv2_flags & XLB_PPV2_F_ACKED) << "the reply did not read the orig entry";
}

TEST_F(ReplyAloneTest, AnEndpointFinOrRstStillMovesTheState) {
  handshake();
  ASSERT_EQ(reply_flags(), XLB_CT_RF_ALONE);
  endpoint(tcpf::FIN | tcpf::ACK);
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_CLOSE_WAIT));
  EXPECT_EQ(active(kSvcId, 0), 1u);
  endpoint(tcpf::RST);
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_CLOSED));
  EXPECT_EQ(active(kSvcId, 0), 0u) << "the closed flow no longer counts for its endpoint";
}

TEST_F(ReplyAloneTest, TheFirstUdpAnswerEstablishesTheFlowAndMarksTheReplyEntry) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  install(udp.rule, make_svc(kSvcId + 1, XLB_SEL_RR, {ep_}));
  const Bytes query = udp.client_udp({'q'});
  ASSERT_TRUE(Forwarded(from_client(query), udp.to_endpoint(query, ep_)));
  auto reply = ct(udp.reply_key(ep_));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->reply_flags, 0) << "unanswered: the first answer must reach the orig entry";
  const Bytes answer = udp.endpoint_udp(ep_, {'a'});
  ASSERT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));
  EXPECT_TRUE(FlowTracked(dp(), udp, ep_, kSvcId + 1, 0, XLB_CT_UDP_EST));
  reply = ct(udp.reply_key(ep_));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->reply_flags, XLB_CT_RF_ALONE);
}

TEST_F(ReplyAloneTest, APpv2FlowsReplyEntryIsNeverMarked) {
  xlb_svc svc = make_svc(kSvcId, XLB_SEL_RR, {ep_});
  svc.flags |= XLB_SVC_F_PPV2;
  install(flow_.rule, svc);
  client(tcpf::SYN);
  endpoint(tcpf::SYN | tcpf::ACK);
  const Bytes ack = flow_.client_tcp(tcpf::ACK);
  ASSERT_EQ(from_client(ack).action, TC_ACT_REDIRECT);
  EXPECT_EQ(reply_flags(), 0) << "every reply's acknowledgement is shifted with the orig entry";
}

// A flow learnt from the HA peer gets the same mark from the control plane: when written
// established, and when a refresh reports it established (the reply entry already there).
TEST_F(ReplyAloneTest, ASyncedFlowsReplyEntryIsMarkedOnceThePeerReportsItEstablished) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  install(udp.rule, make_svc(kSvcId + 1, XLB_SEL_RR, {ep_}));
  xlb_ct_entry orig = peer_orig(udp, ep_, kSvcId + 1, XLB_MODE_NAT);
  orig.state = XLB_CT_UDP_NEW;
  ASSERT_TRUE(dp().install_synced_flow(udp.orig_key(), orig).ok());
  auto reply = ct(udp.reply_key(ep_));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->reply_flags, 0);
  orig.state = XLB_CT_UDP_EST;
  ASSERT_TRUE(dp().install_synced_flow(udp.orig_key(), orig).ok());
  reply = ct(udp.reply_key(ep_));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->reply_flags, XLB_CT_RF_ALONE);
  EXPECT_EQ(reply->state, XLB_CT_UDP_EST);
  const Bytes answer = udp.endpoint_udp(ep_, {'a'});
  EXPECT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));

  ASSERT_TRUE(
      dp().install_synced_flow(flow_.orig_key(), peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT)).ok());
  EXPECT_EQ(reply_flags(), XLB_CT_RF_ALONE) << "a TCP flow synced established";
}

// The orig entry's clock stands still while only the endpoint talks (a download, a UDP stream):
// the flow stays as long as its replies keep coming, and goes once they stop too.
TEST_F(ReplyAloneTest, AFlowWhoseOnlyTrafficIsRepliesIsNotAgedOut) {
  handshake();
  constexpr uint64_t kSec = 1000000000ull;
  const uint64_t now = xlb::datapath_clock_ns();
  xlb::CtTimeouts timeouts;
  timeouts.idle_s[XLB_CT_EST] = 60;
  auto aged_at = [&](uint64_t at_ns) {
    xlb::CtAger ager(dp(), timeouts, [](uint32_t) { return 0u; });
    auto report = ager.run_once(at_ns, {kSvcId});
    EXPECT_TRUE(report.ok());
    return report.ok() ? report->expired : 0u;
  };
  // The client last spoke two minutes ago, beyond the 60 s timeout.
  for (const xlb_ct_key& key : {flow_.orig_key(), flow_.reply_key(ep_)}) {
    auto e = ct(key);
    ASSERT_TRUE(e);
    e->last_seen_ns = now - 120 * kSec;
    put_ct(key, *e);
  }
  endpoint(tcpf::ACK);  // the endpoint goes on sending
  EXPECT_EQ(aged_at(now + 30 * kSec), 0u);
  EXPECT_TRUE(ct(flow_.orig_key())) << "a flow with live replies was aged out";
  EXPECT_TRUE(ct(flow_.reply_key(ep_)));
  EXPECT_EQ(aged_at(now + 90 * kSec), 1u) << "silent both ways beyond the timeout";
  EXPECT_FALSE(ct(flow_.orig_key()));
  EXPECT_FALSE(ct(flow_.reply_key(ep_)));
}

}  // namespace
}  // namespace xlbtest

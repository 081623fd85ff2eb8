// Flows learnt from the HA peer (BpfDatapath::install_synced_flow): a flow installed from the
// peer's "established" event is forwarded exactly as the node that created it forwards it, in
// NAT, FullNAT (with Proxy Protocol v2: its sequence offsets carried over) and L2-DSR; its
// FullNAT source port is reserved against new local flows; and lc's active-flow counts stay
// right when such a flow closes here.
#include <cstring>
#include <ostream>
#include <string>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint32_t kIsn = 1000, kFirst = kIsn + 1, kEpIsn = 5000;

struct SyncCase {
  const char* name;
  uint8_t mode;
  bool ppv2;
};
void PrintTo(const SyncCase& c, std::ostream* os) { *os << c.name; }

Bytes sync_text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// One packet of the script: who sends it, as sent and as the other side must receive it.
struct ScriptStep {
  bool from_client;
  Seg in, out;
};

class SyncedFlowTest : public DatapathTest, public ::testing::WithParamInterface<SyncCase> {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    flow_.cport = 20000;  // in the SNAT range: FullNAT keeps it
    if (GetParam().mode == XLB_MODE_FULLNAT) flow_.snat = Snat{kLbBeIp, flow_.cport};
    install_rule();
  }
  void install_rule() {
    xlb_svc svc = make_svc(kSvcId, XLB_SEL_RR, {ep_});
    if (GetParam().ppv2) svc.flags |= XLB_SVC_F_PPV2;
    if (GetParam().mode == XLB_MODE_FULLNAT) svc = fullnat(svc);
    if (GetParam().mode == XLB_MODE_DSR) svc = dsr(svc);
    install(flow_.rule, svc);
  }
  bool dsr_mode() const { return GetParam().mode == XLB_MODE_DSR; }
  // What the endpoint must receive for a client segment: DSR only re-addresses the frame.
  Bytes expected_at_endpoint(const Seg& out) const {
    if (dsr_mode())
      return Rewrite(flow_.client_seg(out)).eth_src(kLbBeMac).eth_dst(ep_.host.mac).build();
    return flow_.to_endpoint(flow_.client_seg(out), ep_);
  }
  Verdict send(const ScriptStep& s) {
    return s.from_client ? from_client(flow_.client_seg(s.in))
                         : from_backend(flow_.endpoint_seg(ep_, s.in));
  }
  Bytes expected(const ScriptStep& s) const {
    return s.from_client ? expected_at_endpoint(s.out)
                         : flow_.to_client(flow_.endpoint_seg(ep_, s.out));
  }
  // After the handshake: the endpoint acks (the PPv2 header, if any), data both ways, FINs.
  // DSR sees the client's packets only.
  std::vector<ScriptStep> after_handshake() const {
    const uint32_t hdr = GetParam().ppv2 ? 28 : 0;
    const Bytes hello = sync_text("hello"), world = sync_text("world");
    std::vector<ScriptStep> all = {
        {false, {tcpf::ACK, kEpIsn + 1, kFirst + hdr}, {tcpf::ACK, kEpIsn + 1, kFirst}},
        {true,
         {tcpf::ACK | tcpf::PSH, kFirst, kEpIsn + 1, hello},
         {tcpf::ACK | tcpf::PSH, kFirst + hdr, kEpIsn + 1, hello}},
        {false,
         {tcpf::ACK | tcpf::PSH, kEpIsn + 1, kFirst + 5 + hdr, world},
         {tcpf::ACK | tcpf::PSH, kEpIsn + 1, kFirst + 5, world}},
        {true,
         {tcpf::FIN | tcpf::ACK, kFirst + 5, kEpIsn + 6},
         {tcpf::FIN | tcpf::ACK, kFirst + 5 + hdr, kEpIsn + 6}},
        {false,
         {tcpf::FIN | tcpf::ACK, kEpIsn + 6, kFirst + 6 + hdr},
         {tcpf::FIN | tcpf::ACK, kEpIsn + 6, kFirst + 6}},
    };
    std::vector<ScriptStep> out;
    for (const auto& s : all)
      if (s.from_client || !dsr_mode()) out.push_back(s);
    return out;
  }
  // The handshake on this node, with events on; returns the "established" event's flow.
  xlb::Datapath::FlowEvent handshake_reported() {
    EXPECT_TRUE(dp().set_flow_events(true).ok());
    from_client(flow_.client_seg({tcpf::SYN, kIsn, 0}));
    if (!dsr_mode()) from_backend(flow_.endpoint_seg(ep_, {tcpf::SYN | tcpf::ACK, kEpIsn, kFirst}));
    from_client(flow_.client_seg({tcpf::ACK, kFirst, kEpIsn + 1}));
    auto events = flow_events();
    EXPECT_EQ(events.size(), 1u);
    return events.empty() ? xlb::Datapath::FlowEvent{} : events[0];
  }

  static constexpr uint32_t kSvcId = 51;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
};

TEST_P(SyncedFlowTest, ASyncedFlowIsForwardedExactlyAsTheNodeThatCreatedItForwardsIt) {
  const auto event = handshake_reported();
  ASSERT_EQ(event.kind, xlb::Datapath::FlowEvent::Kind::established);
  if (GetParam().ppv2) {
    EXPECT_EQ(event.entry.ppv2_flags, XLB_PPV2_F_ON) << "header sent, not yet acknowledged";
    EXPECT_EQ(event.entry.ppv2_seq, kFirst);
    EXPECT_EQ(event.entry.ppv2_len, 28);
  }
  // This node (the master) forwards the rest of the connection.
  std::vector<Bytes> at_master;
  for (const auto& step : after_handshake()) {
    Verdict v = send(step);
    EXPECT_TRUE(Forwarded(v, expected(step))) << "master, client " << step.from_client;
    at_master.push_back(v.frame);
  }

  // The standby: a fresh datapath with the same rule, and the flow as the event reported it.
  ASSERT_NO_FATAL_FAILURE(open_datapath(65536, 0));
  install_rule();
  ASSERT_TRUE(dp().install_synced_flow(event.key, event.entry).ok());
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_TRUE(orig->flags & XLB_CT_F_SYNCED);
  EXPECT_EQ(flows().size(), dsr_mode() ? 1u : 2u) << "the orig entry, and the reply entry";
  if (!dsr_mode()) {
    EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));
  }

  // After a failover the same packets reach it, and leave it byte for byte as they left the
  // master (checksums verified independently of both).
  const auto script = after_handshake();
  for (size_t i = 0; i < script.size(); ++i)
    EXPECT_TRUE(Forwarded(send(script[i]), at_master[i])) << "standby, step " << i;
  EXPECT_EQ(ct(flow_.orig_key())->state, dsr_mode() ? XLB_CT_FIN_WAIT : XLB_CT_TIME_WAIT);
}

INSTANTIATE_TEST_SUITE_P(Modes, SyncedFlowTest,
                         ::testing::Values(SyncCase{"Nat", XLB_MODE_NAT, false},
                                           SyncCase{"FullNat", XLB_MODE_FULLNAT, false},
                                           SyncCase{"FullNatPpv2", XLB_MODE_FULLNAT, true},
                                           SyncCase{"NatPpv2", XLB_MODE_NAT, true},
                                           SyncCase{"L2Dsr", XLB_MODE_DSR, false}),
                         [](const auto& info) { return std::string(info.param.name); });

class SyncedPortsTest : public DatapathTest {
 protected:
  static constexpr uint32_t kSvcId = 52;
  const EpSpec ep_{kEndpoints[0], 8080};
};

TEST_F(SyncedPortsTest, ASyncedReplyTupleMakesANewLocalFlowPickAnotherPort) {
  Flow synced;
  synced.cport = 20000;
  synced.snat = Snat{kLbBeIp, 20000};
  install(synced.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_})));
  ASSERT_TRUE(
      dp().install_synced_flow(synced.orig_key(), peer_orig(synced, ep_, kSvcId, XLB_MODE_FULLNAT))
          .ok());

  // Another client on the same port: its own port is the synced flow's SNAT port.
  Flow local;
  local.client = kClient2;
  local.cport = 20000;
  Bytes syn = local.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  auto source = source_of(v);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->ip, kLbBeIp);
  EXPECT_NE(source->port, 20000) << "the synced flow's port was handed out again";
  local.snat = source;
  EXPECT_TRUE(Forwarded(v, local.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), local, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_TRUE(FlowTracked(dp(), synced, ep_, kSvcId, 0, XLB_CT_EST)) << "the synced flow intact";
  // The endpoint's answer on the synced flow's tuple still reaches the synced client.
  Bytes answer = synced.endpoint_tcp(ep_, tcpf::ACK | tcpf::PSH, Bytes(10, 7));
  EXPECT_TRUE(Forwarded(from_backend(answer), synced.to_client(answer)));
}

TEST_F(SyncedPortsTest, AReplyTupleHeldByALocalFlowRefusesTheSyncedFlowAndWritesNothing) {
  install(Flow{}.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_})));
  Flow local;
  local.cport = 20000;
  Bytes syn = local.client_tcp(tcpf::SYN);
  local.snat = source_of(from_client(syn));
  ASSERT_TRUE(local.snat);
  ASSERT_EQ(local.snat->port, 20000);
  const auto before = flows();

  Flow synced;
  synced.client = kClient2;
  synced.cport = 20000;
  synced.snat = Snat{kLbBeIp, 20000};  // the peer gave its flow the port this node gave `local`
  auto r =
      dp().install_synced_flow(synced.orig_key(), peer_orig(synced, ep_, kSvcId, XLB_MODE_FULLNAT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, xlb::ErrorCode::already_exists) << r.error().message;
  EXPECT_FALSE(ct(synced.orig_key()));
  EXPECT_EQ(flows().size(), before.size());
  EXPECT_TRUE(FlowTracked(dp(), local, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(active(kSvcId, 0), 1u) << "only the local flow counted";
}

class SyncedLcTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_LC, {ep_}));
  }
  static constexpr uint32_t kSvcId = 53;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
};

TEST_F(SyncedLcTest, ASyncedFlowCountsOnceAndItsCloseNeverDrivesTheCountBelowZero) {
  ASSERT_TRUE(
      dp().install_synced_flow(flow_.orig_key(), peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT)).ok());
  EXPECT_EQ(active(kSvcId, 0), 1u);
  ASSERT_TRUE(
      dp().install_synced_flow(flow_.orig_key(), peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT)).ok());
  EXPECT_EQ(active(kSvcId, 0), 1u) << "a refresh counts nothing again";

  EXPECT_EQ(from_client(flow_.client_tcp(tcpf::RST)).action, TC_ACT_REDIRECT);
  EXPECT_EQ(ct(flow_.orig_key())->state, XLB_CT_CLOSED);
  EXPECT_EQ(active(kSvcId, 0), 0u);
  from_backend(flow_.endpoint_tcp(ep_, tcpf::RST));
  EXPECT_EQ(active(kSvcId, 0), 0u) << "closed once";
  ASSERT_TRUE(dp().remove_synced_flow(flow_.orig_key()).ok());
  EXPECT_EQ(active(kSvcId, 0), 0u);
  EXPECT_TRUE(flows().empty());
}

TEST_F(SyncedLcTest, AFlowSyncedAlreadyClosedIsNotCountedAndClosingItAgainChangesNothing) {
  xlb_ct_entry closed = peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT);
  closed.state = XLB_CT_TIME_WAIT;  // and the peer's COUNTED flag still set
  ASSERT_TRUE(dp().install_synced_flow(flow_.orig_key(), closed).ok());
  EXPECT_EQ(active(kSvcId, 0), 0u);
  EXPECT_FALSE(ct(flow_.orig_key())->flags & XLB_CT_F_COUNTED);
  from_client(flow_.client_tcp(tcpf::RST));
  EXPECT_EQ(active(kSvcId, 0), 0u);
}

TEST_F(SyncedLcTest, RemovingACountedSyncedFlowUncountsItOnce) {
  ASSERT_TRUE(
      dp().install_synced_flow(flow_.orig_key(), peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT)).ok());
  Flow local = flow_;
  local.cport = 40100;
  ASSERT_EQ(open_flow(local, {ep_}), 0);
  EXPECT_EQ(active(kSvcId, 0), 2u);
  ASSERT_TRUE(dp().remove_synced_flow(flow_.orig_key()).ok());
  EXPECT_EQ(active(kSvcId, 0), 1u);
  ASSERT_TRUE(dp().remove_synced_flow(flow_.orig_key()).ok()) << "gone: nothing to do";
  EXPECT_EQ(active(kSvcId, 0), 1u);
  EXPECT_TRUE(FlowTracked(dp(), local, ep_, kSvcId, 0, XLB_CT_SYN_SENT)) << "the local flow stays";
}

}  // namespace
}  // namespace xlbtest

// Conntrack sync's engine against fake datapaths, with the peer link played by the test (frames
// one engine writes are decoded as the link decodes them and handed to the other): a full dump
// and flow events reach the peer mapped to its own rule ids, endpoint indexes and clock, with
// reply entries and active-flow counts right; what the receiver's rules do not have is counted
// and skipped; a FullNAT port held locally is not overwritten; queues and refreshes keep their
// bounds.
#include "cluster/ct_sync.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <thread>

#include "cluster/snat_ports.h"
#include "cluster/wire.h"
#include "ct_sync_fixtures.h"
#include "ct_test_key.h"
#include "datapath/fake/fake_datapath.h"

namespace xlb::cluster {
namespace {

using Bytes = std::vector<uint8_t>;

// One node: its datapath, its rules, its sync engine on a clock the test moves.
struct Node {
  explicit Node(CtSyncOptions options = {}) {
    options.peers = 1;
    options.monotonic_ns = [this] { return now_ns; };
    sync = std::make_unique<CtSync>(dp, options);
    EXPECT_TRUE(dp.set_flow_events(true).ok());
  }
  FakeDatapath dp;
  uint64_t now_ns = 1000 * kSecond;
  std::unique_ptr<CtSync> sync;
};

// The link's part: decodes what one engine sends, as the receiving link does, and hands it on.
class FakePeerPipe {
 public:
  explicit FakePeerPipe(CtSync& to) : to_(to) {
    std::vector<wire::Message> hello;
    EXPECT_TRUE(reader_.feed(wire::encode(wire::Hello{0, "xlb test"}), hello).ok());
  }
  Result<void> deliver(const Bytes& frame) {
    std::vector<wire::Message> messages;
    XLB_TRY(reader_.feed(frame, messages));
    for (const auto& m : messages) {
      if (const auto* batch = std::get_if<wire::FlowBatch>(&m)) to_.receive(0, *batch);
      if (const auto* end = std::get_if<wire::EndOfDump>(&m)) to_.dump_complete(0, *end);
    }
    ++frames_;
    return Ok{};
  }
  FrameSink sink() {
    return [this](const Bytes& f) { return deliver(f); };
  }
  size_t frames() const { return frames_; }

 private:
  CtSync& to_;
  wire::FrameReader reader_;
  size_t frames_ = 0;
};

const SyncEndpoint kEp1{"10.1.2.10", 8080}, kEp2{"10.1.2.11", 8080};

class CtSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The same rules, added in another order on each node: ids and endpoint indexes differ.
    ASSERT_TRUE(
        a.dp.upsert_service(sync_svc_key("20.20.20.1", 80), sync_svc(3, XLB_MODE_NAT, {kEp1, kEp2}))
            .ok());
    ASSERT_TRUE(a.dp.upsert_service(sync_svc_key("20.20.20.1", 81),
                                    sync_svc(4, XLB_MODE_FULLNAT, {kEp1, kEp2}, {"10.1.2.1"}))
                    .ok());
    ASSERT_TRUE(a.dp.upsert_service(sync_svc_key("20.20.20.1", 8080),
                                    sync_svc(5, XLB_MODE_DSR, {{"10.1.2.10", 8080}}))
                    .ok());
    ASSERT_TRUE(b.dp.upsert_service(sync_svc_key("20.20.20.1", 81),
                                    sync_svc(0, XLB_MODE_FULLNAT, {kEp2, kEp1}, {"10.1.2.1"}))
                    .ok());
    ASSERT_TRUE(
        b.dp.upsert_service(sync_svc_key("20.20.20.1", 80), sync_svc(1, XLB_MODE_NAT, {kEp2, kEp1}))
            .ok());
    ASSERT_TRUE(b.dp.upsert_service(sync_svc_key("20.20.20.1", 8080),
                                    sync_svc(2, XLB_MODE_DSR, {{"10.1.2.10", 8080}}))
                    .ok());
  }
  std::optional<xlb_ct_entry> on_b(const xlb_ct_key& key) { return *b.dp.lookup_flow(key); }
  size_t flows_on_b() {
    size_t n = 0;
    EXPECT_TRUE(b.dp.for_each_flow([&](const CtFlow&) { return ++n, true; }).ok());
    return n;
  }
  // A's queued frames, delivered to B.
  void flush_events() {
    for (const auto& f : a.sync->take_frames(0)) ASSERT_TRUE(pipe.deliver(f).ok());
  }

  Node a, b;
  FakePeerPipe pipe{*b.sync};
};

TEST_F(CtSyncTest, AFullDumpArrivesMappedToTheReceiversIdsIndexesAndClock) {
  const auto nat_key = ct_key("10.0.0.9", 40001, "20.20.20.1", 80);
  const auto fnat_key = ct_key("10.0.0.9", 40002, "20.20.20.1", 81);
  const auto dsr_key = ct_key("10.0.0.9", 40003, "20.20.20.1", 8080);
  a.dp.add_flow(nat_key, sync_orig_entry(3, 1, XLB_MODE_NAT, kEp2, a.now_ns - 5 * kSecond));
  a.dp.add_flow(fnat_key,
                sync_orig_entry(4, 0, XLB_MODE_FULLNAT, kEp1, a.now_ns, "10.1.2.1", 17001));
  a.dp.add_flow(dsr_key, sync_orig_entry(5, 0, XLB_MODE_DSR, {"10.1.2.10", 8080}, a.now_ns));

  b.now_ns = 77 * kSecond;  // another boot, another clock
  auto sent = a.sync->walk_flows(0, true, pipe.sink());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(*sent, 3u);

  auto nat = on_b(nat_key);
  ASSERT_TRUE(nat);
  EXPECT_EQ(nat->svc_id, 1u);  // B's id for port 80
  EXPECT_EQ(nat->ep_idx, 0u);  // kEp2 is B's first endpoint of port 80 (A's second)
  EXPECT_TRUE(nat->flags & XLB_CT_F_SYNCED);
  EXPECT_TRUE(nat->flags & XLB_CT_F_COUNTED);
  EXPECT_EQ(nat->last_seen_ns, b.now_ns - 5 * kSecond);
  EXPECT_EQ(nat->created_ns, b.now_ns - 35 * kSecond);
  EXPECT_EQ(nat->state, XLB_CT_EST);
  EXPECT_EQ(nat->nat_dport, htons(8080));

  auto fnat = on_b(fnat_key);
  ASSERT_TRUE(fnat);
  EXPECT_EQ(fnat->svc_id, 0u);
  EXPECT_EQ(fnat->ep_idx, 1u);  // kEp1 is B's second endpoint of port 81
  EXPECT_EQ(fnat->nat_sport, htons(17001));
  // The reply entry: from the endpoint to the SNAT address and port, back to the client.
  const auto reply_key = ct_key("10.1.2.10", 8080, "10.1.2.1", 17001);
  auto reply = on_b(reply_key);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->dir, XLB_DIR_REPLY);
  EXPECT_EQ(reply->nat_daddr.w[0], sync_ip("10.0.0.9").w[0]);
  EXPECT_EQ(reply->nat_dport, htons(40002));

  auto dsr = on_b(dsr_key);
  ASSERT_TRUE(dsr);
  EXPECT_EQ(dsr->svc_id, 2u);
  EXPECT_EQ(dsr->nat_daddr.w[0], sync_ip("10.1.2.10").w[0]);
  EXPECT_EQ(flows_on_b(), 5u);  // three orig entries, two reply entries (DSR has none)

  EXPECT_EQ(*b.dp.active_flows(1, 0), 1u);
  EXPECT_EQ(*b.dp.active_flows(1, 1), 0u);
  EXPECT_EQ(*b.dp.active_flows(0, 1), 1u);
  EXPECT_EQ(*b.dp.active_flows(2, 0), 1u);
  const PeerSyncStatus st = b.sync->status(0);
  EXPECT_EQ(st.flows_received, 3u);
  EXPECT_EQ(st.rejects.total(), 0u);
  EXPECT_EQ(a.sync->status(0).flows_sent, 3u);
}

// NAT64: the record is IPv6 (the client's key), its endpoint and SNAT address IPv4 in IPv6-sized
// slots; the receiver's own rule says they are IPv4, so its entries translate between families
// as the sender's did, and the reply entry is keyed by the IPv4 tuple.
TEST_F(CtSyncTest, ANat64FlowArrivesTranslatingToIpv4WithItsIpv4ReplyEntry) {
  xlb_svc_key vip6 = sync_svc_key("20.20.20.1", 82);
  inet_pton(AF_INET6, "2001:db8:20::1", vip6.vip.w);
  vip6.family = XLB_AF_INET6;
  ASSERT_TRUE(
      a.dp.upsert_service(vip6, sync_svc(6, XLB_MODE_FULLNAT, {kEp1, kEp2}, {"10.1.2.1"})).ok());
  ASSERT_TRUE(
      b.dp.upsert_service(vip6, sync_svc(7, XLB_MODE_FULLNAT, {kEp2, kEp1}, {"10.1.2.1"})).ok());
  xlb_ct_key key = ct_key("10.0.0.9", 40004, "20.20.20.1", 82);
  inet_pton(AF_INET6, "2001:db8:c::9", key.saddr.w);
  key.daddr = vip6.vip;
  key.family = XLB_AF_INET6;
  xlb_ct_entry orig = sync_orig_entry(6, 1, XLB_MODE_FULLNAT, kEp2, a.now_ns, "10.1.2.1", 17004);
  orig.nat_family = XLB_AF_INET;
  a.dp.add_flow(key, orig);

  auto sent = a.sync->walk_flows(0, true, pipe.sink());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(*sent, 1u);
  auto got = on_b(key);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->svc_id, 7u);
  EXPECT_EQ(got->ep_idx, 0u);
  EXPECT_EQ(got->nat_family, XLB_AF_INET);
  EXPECT_EQ(got->nat_daddr.w[0], sync_ip("10.1.2.11").w[0]);
  auto reply = on_b(ct_key("10.1.2.11", 8080, "10.1.2.1", 17004));
  ASSERT_TRUE(reply) << "the reply entry, keyed by the IPv4 tuple";
  EXPECT_EQ(reply->nat_family, XLB_AF_INET6);
  EXPECT_EQ(std::memcmp(&reply->nat_daddr, &key.saddr, sizeof key.saddr), 0);
  EXPECT_EQ(b.sync->status(0).rejects.total(), 0u);
}

TEST_F(CtSyncTest, TheDumpSkipsReplyEntriesHandshakesAndFinishedFlows) {
  auto syn = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns);
  syn.state = XLB_CT_SYN_SENT;
  a.dp.add_flow(ct_key("10.0.0.9", 1, "20.20.20.1", 80), syn, true);
  auto done = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns);
  done.state = XLB_CT_TIME_WAIT;
  a.dp.add_flow(ct_key("10.0.0.9", 2, "20.20.20.1", 80), done);
  auto reply = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns);
  reply.dir = XLB_DIR_REPLY;
  a.dp.add_flow(ct_key("10.1.2.10", 8080, "10.0.0.9", 3), reply);
  a.dp.add_flow(ct_key("10.0.0.9", 4, "20.20.20.1", 80),
                sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns));
  auto sent = a.sync->walk_flows(0, true, pipe.sink());
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(*sent, 1u);
  EXPECT_TRUE(on_b(ct_key("10.0.0.9", 4, "20.20.20.1", 80)));
}

TEST_F(CtSyncTest, EventsReachThePeerAndACloseUncountsOnce) {
  a.sync->outbound_up(0);
  const auto key = ct_key("10.0.0.7", 50000, "20.20.20.1", 80);
  auto entry = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns);
  a.dp.push_flow_event({Datapath::FlowEvent::Kind::established, key, entry});
  ASSERT_EQ(*a.sync->pump_events(0), 1u);
  EXPECT_TRUE(a.sync->has_queued(0));
  flush_events();
  ASSERT_TRUE(on_b(key));
  EXPECT_EQ(*b.dp.active_flows(1, 1), 1u);  // kEp1 is B's endpoint 1 of port 80

  entry.state = XLB_CT_TIME_WAIT;
  a.dp.push_flow_event({Datapath::FlowEvent::Kind::closed, key, entry});
  a.dp.push_flow_event({Datapath::FlowEvent::Kind::closed, key, entry});  // repeated: harmless
  ASSERT_EQ(*a.sync->pump_events(0), 2u);
  flush_events();
  EXPECT_FALSE(on_b(key));
  EXPECT_EQ(flows_on_b(), 0u);  // the reply entry went with it
  EXPECT_EQ(*b.dp.active_flows(1, 1), 0u);
  EXPECT_EQ(b.sync->status(0).closed_received, 2u);
  EXPECT_EQ(a.sync->status(0).closed_sent, 2u);
}

TEST_F(CtSyncTest, AFlowSyncedAgainIsRefreshedNotCountedTwice) {
  a.sync->outbound_up(0);
  const auto key = ct_key("10.0.0.7", 50001, "20.20.20.1", 80);
  auto entry = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns);
  for (int i = 0; i < 3; ++i)
    a.dp.push_flow_event({Datapath::FlowEvent::Kind::established, key, entry});
  ASSERT_EQ(*a.sync->pump_events(0), 3u);
  flush_events();
  EXPECT_EQ(flows_on_b(), 2u);
  EXPECT_EQ(*b.dp.active_flows(1, 1), 1u);
  EXPECT_EQ(b.sync->status(0).stale_skipped, 2u) << "the same flow again is no news";
  a.now_ns += 5 * kSecond;  // five seconds later, the client closes its side
  b.now_ns += 5 * kSecond;
  entry.last_seen_ns = a.now_ns;
  entry.flags |= XLB_CT_F_CLIENT_FIN;
  entry.state = XLB_CT_FIN_WAIT;
  a.dp.push_flow_event({Datapath::FlowEvent::Kind::established, key, entry});
  ASSERT_EQ(*a.sync->pump_events(0), 1u);
  flush_events();
  EXPECT_EQ(on_b(key)->state, XLB_CT_FIN_WAIT);
  EXPECT_TRUE(on_b(key)->flags & XLB_CT_F_CLIENT_FIN);
  EXPECT_EQ(*b.dp.active_flows(1, 1), 1u);
}

TEST_F(CtSyncTest, ThisNodesOwnFlowEchoedBackIsNotWritten) {
  // B forwarded this flow a moment ago (its own entry, two packets ago); A's older copy of it
  // arrives: B's state and clock stay.
  const auto key = ct_key("10.0.0.7", 50010, "20.20.20.1", 80);
  auto mine = sync_orig_entry(1, 1, XLB_MODE_NAT, kEp1, b.now_ns);
  mine.state = XLB_CT_FIN_WAIT;
  b.dp.add_flow(key, mine);
  a.dp.add_flow(key, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns - kSecond));
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());
  EXPECT_EQ(on_b(key)->state, XLB_CT_FIN_WAIT);
  EXPECT_EQ(on_b(key)->last_seen_ns, b.now_ns);
  EXPECT_FALSE(on_b(key)->flags & XLB_CT_F_SYNCED);
  EXPECT_EQ(b.sync->status(0).stale_skipped, 1u);
  // Ten seconds on, A has forwarded it since: news.
  b.now_ns += 10 * kSecond;
  a.now_ns += 10 * kSecond;
  a.dp.add_flow(key, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns));
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());
  EXPECT_EQ(on_b(key)->state, XLB_CT_EST);
  EXPECT_TRUE(on_b(key)->flags & XLB_CT_F_SYNCED);
}

TEST_F(CtSyncTest, EventsAreQueuedOnlyForPeersConnected) {
  const auto key = ct_key("10.0.0.7", 50002, "20.20.20.1", 80);
  a.dp.push_flow_event({Datapath::FlowEvent::Kind::established, key,
                        sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns)});
  ASSERT_EQ(*a.sync->pump_events(0), 1u);
  EXPECT_FALSE(a.sync->has_queued(0));  // the connect's full dump will carry it
  EXPECT_TRUE(a.sync->take_frames(0).empty());
}

TEST_F(CtSyncTest, RecordsTheReceiverCannotPlaceAreCountedAndSkipped) {
  const auto good = ct_key("10.0.0.9", 1, "20.20.20.1", 80);
  a.dp.add_flow(good, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns));
  // A rule B does not have, an endpoint B's rule does not have, a mode B's rule does not use,
  // an SNAT address B's rule does not use.
  ASSERT_TRUE(
      a.dp.upsert_service(sync_svc_key("20.20.20.2", 80), sync_svc(6, XLB_MODE_NAT, {kEp1})).ok());
  a.dp.add_flow(ct_key("10.0.0.9", 2, "20.20.20.2", 80),
                sync_orig_entry(6, 0, XLB_MODE_NAT, kEp1, a.now_ns));
  a.dp.add_flow(ct_key("10.0.0.9", 3, "20.20.20.1", 80),
                sync_orig_entry(3, 0, XLB_MODE_NAT, {"10.1.2.99", 8080}, a.now_ns));
  a.dp.add_flow(ct_key("10.0.0.9", 4, "20.20.20.1", 80),
                sync_orig_entry(3, 0, XLB_MODE_FULLNAT, kEp1, a.now_ns, "10.1.2.1", 17002));
  a.dp.add_flow(ct_key("10.0.0.9", 5, "20.20.20.1", 81),
                sync_orig_entry(4, 0, XLB_MODE_FULLNAT, kEp1, a.now_ns, "10.9.9.9", 17003));
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());
  EXPECT_TRUE(on_b(good));
  EXPECT_EQ(flows_on_b(), 2u);  // the good flow and its reply entry, nothing else
  const SyncRejects r = b.sync->status(0).rejects;
  EXPECT_EQ(r.unknown_rule, 1u);
  EXPECT_EQ(r.unknown_endpoint, 1u);
  EXPECT_EQ(r.rule_differs, 2u);
  EXPECT_EQ(b.sync->status(0).flows_received, 1u);
}

TEST_F(CtSyncTest, AFullNatPortHeldByALocalFlowIsNotTaken) {
  // B's own flow from another client holds SNAT 10.1.2.1:17005 toward kEp1.
  const auto local_key = ct_key("10.0.0.50", 1234, "20.20.20.1", 81);
  const auto local = sync_orig_entry(0, 1, XLB_MODE_FULLNAT, kEp1, b.now_ns, "10.1.2.1", 17005);
  ASSERT_TRUE(b.dp.install_synced_flow(local_key, local).ok());  // writes orig + reply
  const auto before = flows_on_b();
  a.dp.add_flow(ct_key("10.0.0.9", 7, "20.20.20.1", 81),
                sync_orig_entry(4, 0, XLB_MODE_FULLNAT, kEp1, a.now_ns, "10.1.2.1", 17005));
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());
  EXPECT_EQ(flows_on_b(), before);
  EXPECT_FALSE(on_b(ct_key("10.0.0.9", 7, "20.20.20.1", 81)));
  EXPECT_EQ(b.sync->status(0).rejects.conflict, 1u);
}

TEST_F(CtSyncTest, ARuleAddedMeanwhileIsFoundOnTheNextRecord) {
  const auto key = ct_key("10.0.0.9", 9, "20.20.20.3", 80);
  ASSERT_TRUE(
      a.dp.upsert_service(sync_svc_key("20.20.20.3", 80), sync_svc(7, XLB_MODE_NAT, {kEp1})).ok());
  a.dp.add_flow(key, sync_orig_entry(7, 0, XLB_MODE_NAT, kEp1, a.now_ns));
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());  // B reads its rules: not there
  EXPECT_FALSE(on_b(key));
  ASSERT_TRUE(
      b.dp.upsert_service(sync_svc_key("20.20.20.3", 80), sync_svc(9, XLB_MODE_NAT, {kEp1})).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // past the re-read interval
  ASSERT_TRUE(a.sync->walk_flows(0, true, pipe.sink()).ok());
  ASSERT_TRUE(on_b(key));
  EXPECT_EQ(on_b(key)->svc_id, 9u);
}

TEST_F(CtSyncTest, TheRefreshSendsOnlyFlowsWithPacketsSinceTheLastWalk) {
  const auto busy = ct_key("10.0.0.9", 11, "20.20.20.1", 80);
  const auto idle = ct_key("10.0.0.9", 12, "20.20.20.1", 80);
  const auto copy = ct_key("10.0.0.9", 13, "20.20.20.1", 80);
  a.dp.add_flow(busy, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns - kSecond));
  a.dp.add_flow(idle, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns - kSecond));
  ASSERT_EQ(*a.sync->walk_flows(0, true, pipe.sink()), 2u);
  a.now_ns += 5 * kSecond;
  b.now_ns += 5 * kSecond;
  a.dp.add_flow(busy, sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns - 1));
  // A copy the peer sent this node, untouched here since: not sent back.
  auto synced = sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns - 1);
  synced.flags |= XLB_CT_F_SYNCED;
  synced.packets = 0;
  a.dp.add_flow(copy, synced);
  const size_t frames_before = pipe.frames();
  ASSERT_EQ(*a.sync->walk_flows(0, false, pipe.sink()), 1u);
  EXPECT_EQ(pipe.frames(), frames_before + 1);
  EXPECT_EQ(on_b(busy)->last_seen_ns, b.now_ns);  // age 0 s on A: fresh on B
}

TEST_F(CtSyncTest, AFullQueueDropsAndCountsRecords) {
  CtSyncOptions small;
  small.max_queued_records = 2;
  Node tiny(small);
  tiny.sync->outbound_up(0);
  for (uint16_t port = 1; port <= 3; ++port) {
    tiny.dp.push_flow_event(
        {Datapath::FlowEvent::Kind::closed, ct_key("10.0.0.9", port, "20.20.20.1", 80), {}});
  }
  ASSERT_EQ(*tiny.sync->pump_events(0), 3u);
  EXPECT_EQ(tiny.sync->status(0).queue_dropped, 1u);
  const auto frames = tiny.sync->take_frames(0);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].size(),
            wire::kHeaderBytes + wire::kBatchHeaderBytes + 2 * wire::kClosedRecordBytes);
  EXPECT_EQ(tiny.sync->status(0).closed_sent, 2u);
}

TEST_F(CtSyncTest, LargeQueuesSplitIntoFramesWithinTheBatchLimit) {
  a.sync->outbound_up(0);
  const size_t n = wire::kMaxRecordsPerBatch + 10;
  for (size_t i = 0; i < n; ++i) {
    a.dp.push_flow_event({Datapath::FlowEvent::Kind::established,
                          ct_key("10.0.0.9", static_cast<uint16_t>(1000 + i), "20.20.20.1", 80),
                          sync_orig_entry(3, 0, XLB_MODE_NAT, kEp1, a.now_ns)});
  }
  ASSERT_EQ(*a.sync->pump_events(0), n);
  const auto frames = a.sync->take_frames(0);
  ASSERT_EQ(frames.size(), 2u);
  for (const auto& f : frames) ASSERT_TRUE(pipe.deliver(f).ok());
  EXPECT_EQ(b.sync->status(0).flows_received, n);
  EXPECT_EQ(*b.dp.active_flows(1, 1), n);
}

TEST_F(CtSyncTest, TheReceiveLimitPacesAPeer) {
  CtSyncOptions slow;
  slow.max_records_per_second = 100;
  Node paced(slow);
  ASSERT_TRUE(
      paced.dp.upsert_service(sync_svc_key("20.20.20.1", 80), sync_svc(0, XLB_MODE_NAT, {kEp1}))
          .ok());
  wire::FlowBatch batch;
  wire::SyncRecord closed;
  closed.kind = wire::SyncRecord::Kind::closed;
  closed.proto = IPPROTO_TCP;
  closed.client = sync_ip("10.0.0.9");
  closed.client_port = 1;
  closed.vip = sync_ip("20.20.20.1");
  closed.vip_port = 80;
  batch.records.assign(50, closed);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i)
    paced.sync->receive(0, batch);  // 200 records: the bucket's 100, then 1 s
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::milliseconds(1600));
  EXPECT_EQ(paced.sync->status(0).closed_received, 200u);
}

TEST_F(CtSyncTest, TheDumpsEndIsRecordedAsTheLastFullResync) {
  EXPECT_FALSE(b.sync->status(0).last_full_resync);
  ASSERT_TRUE(pipe.deliver(wire::encode(wire::EndOfDump{0})).ok());
  EXPECT_TRUE(b.sync->status(0).last_full_resync);
}

// Each node of a cluster takes its own share of the FullNAT ports: disjoint, covering the range.
TEST(SnatPortShare, SharesAreDisjointAndCoverTheRange) {
  using Share = std::pair<uint16_t, uint16_t>;
  EXPECT_EQ(snat_port_share(0, 1), Share(XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX));
  EXPECT_EQ(snat_port_share(0, 2), Share(1024, 16895));
  EXPECT_EQ(snat_port_share(1, 2), Share(16896, 32767));
  for (uint32_t nodes = 2; nodes <= 5; ++nodes) {
    uint32_t next = XLB_SNAT_PORT_MIN;
    for (uint32_t self = 0; self < nodes; ++self) {
      const auto [lo, hi] = snat_port_share(self, nodes);
      EXPECT_EQ(lo, next) << nodes << " nodes, share " << self;
      EXPECT_LE(lo, hi);
      next = hi + 1u;
    }
    EXPECT_EQ(next, XLB_SNAT_PORT_MAX + 1u) << nodes << " nodes";
  }
  EXPECT_EQ(snat_port_share(7, 2), snat_port_share(1, 2)) << "--self beyond the nodes wraps";
}

}  // namespace
}  // namespace xlb::cluster

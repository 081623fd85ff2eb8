// The Datapath contract for conntrack sync (docs/ha.md): flow events switched on and off and
// polled, flows learnt from the peer installed (orig and derived reply entry, in the map their
// state belongs in, counted once), refreshed in place, refused when a tuple is another flow's,
// removed; the per-node FullNAT port range validated. The BPF side's packet behaviour (which
// packets report what, the port range in use) is in tests/datapath.
#include <arpa/inet.h>

#include <chrono>
#include <cstring>

#include "datapath_contract.h"

namespace xlbtest {
namespace {

xlb_ip sync_ip(const char* text) {
  xlb_ip ip{};
  inet_pton(AF_INET, text, &ip.w[0]);
  return ip;
}

xlb_ct_key sync_key(const char* client, uint16_t sport) {
  xlb_ct_key key{};
  key.saddr = sync_ip(client);
  key.daddr = sync_ip("10.9.0.1");
  key.sport = htons(sport);
  key.dport = htons(80);
  key.proto = IPPROTO_TCP;
  key.family = XLB_AF_INET;
  return key;
}

// A peer's orig entry of rule 1, endpoint 2 (10.9.1.1:8080), in `mode` and `state`; FullNAT
// from 10.9.3.1:snat_port.
xlb_ct_entry sync_entry(uint8_t mode, uint8_t state, uint16_t snat_port = 5000) {
  xlb_ct_entry e{};
  e.dir = XLB_DIR_ORIG;
  e.mode = mode;
  e.state = state;
  e.svc_id = 1;
  e.ep_idx = 2;
  e.nat_daddr = sync_ip("10.9.1.1");
  e.nat_dport = htons(8080);
  e.created_ns = 1000;
  e.last_seen_ns = 2000;
  e.packets = 3;
  if (mode != XLB_MODE_DSR) e.flags = XLB_CT_F_DNAT;
  if (mode == XLB_MODE_FULLNAT) {
    e.flags |= XLB_CT_F_SNAT;
    e.nat_saddr = sync_ip("10.9.3.1");
    e.nat_sport = htons(snat_port);
  }
  return e;
}

xlb_ct_key sync_reply_key(const xlb_ct_key& key, const xlb_ct_entry& e) {
  xlb_ct_key reply{};
  xlb_ct_peer_key(&key, &e, &reply);
  return reply;
}

struct SyncSeen {
  xlb_ct_entry entry;
  bool syn_map;
};

// Every entry of both maps, by key bytes.
std::vector<std::pair<xlb_ct_key, SyncSeen>> sync_all(xlb::Datapath& dp) {
  std::vector<std::pair<xlb_ct_key, SyncSeen>> out;
  auto r = dp.for_each_flow([&](const xlb::CtFlow& f) {
    out.push_back({f.key, {f.entry, f.syn_map}});
    return true;
  });
  EXPECT_TRUE(r.ok()) << r.error().message;
  return out;
}

std::optional<SyncSeen> sync_find(xlb::Datapath& dp, const xlb_ct_key& key) {
  for (const auto& [k, seen] : sync_all(dp))
    if (std::memcmp(&k, &key, sizeof key) == 0) return seen;
  return std::nullopt;
}

uint32_t sync_active(xlb::Datapath& dp) {
  auto n = dp.active_flows(1, 2);
  EXPECT_TRUE(n.ok()) << n.error().message;
  return n.ok() ? *n : 0;
}

}  // namespace

TEST_P(DatapathContract, SyncFlowEventsSwitchAndAnEmptyPollDeliversNothing) {
  ASSERT_TRUE(dp().set_flow_events(true).ok());
  size_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  auto n = dp().poll_flow_events(20, [&](const xlb::Datapath::FlowEvent&) { ++calls; });
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 0u);
  EXPECT_EQ(calls, 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2))
      << "waited far beyond the timeout";
  ASSERT_TRUE(dp().set_flow_events(false).ok());
  auto again = dp().poll_flow_events(0, [&](const xlb::Datapath::FlowEvent&) { ++calls; });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

TEST_P(DatapathContract, SyncFullNatFlowIsWrittenAsOrigAndDerivedReplyEntryCountedOnce) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000);
  xlb_ct_entry peer = sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST);
  peer.flags |= XLB_CT_F_COUNTED;  // the peer's own accounting: not this node's
  ASSERT_TRUE(dp().install_synced_flow(key, peer).ok());

  auto orig = sync_find(dp(), key);
  ASSERT_TRUE(orig);
  EXPECT_FALSE(orig->syn_map);
  xlb_ct_entry want = peer;
  want.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT | XLB_CT_F_SYNCED | XLB_CT_F_COUNTED;
  EXPECT_EQ(std::memcmp(&orig->entry, &want, sizeof want), 0) << "the peer's entry, marked";

  auto reply = sync_find(dp(), sync_reply_key(key, peer));
  ASSERT_TRUE(reply) << "no reply entry under the endpoint -> SNAT tuple";
  EXPECT_FALSE(reply->syn_map);
  const xlb_ct_entry& r = reply->entry;
  EXPECT_EQ(r.dir, XLB_DIR_REPLY);
  EXPECT_EQ(r.state, XLB_CT_EST);
  EXPECT_EQ(r.mode, XLB_MODE_FULLNAT);
  EXPECT_EQ(r.flags, XLB_CT_F_DNAT | XLB_CT_F_SNAT);
  EXPECT_EQ(r.svc_id, 1u);
  EXPECT_EQ(r.ep_idx, 2u);
  EXPECT_EQ(std::memcmp(&r.nat_saddr, &key.daddr, sizeof r.nat_saddr), 0) << "from the VIP";
  EXPECT_EQ(r.nat_sport, key.dport);
  EXPECT_EQ(std::memcmp(&r.nat_daddr, &key.saddr, sizeof r.nat_daddr), 0) << "to the client";
  EXPECT_EQ(r.nat_dport, key.sport);
  EXPECT_EQ(sync_all(dp()).size(), 2u);
  EXPECT_EQ(sync_active(dp()), 1u);
}

TEST_P(DatapathContract, SyncNatFlowGetsAReplyEntryAndDsrNone) {
  const xlb_ct_key nat = sync_key("10.9.2.1", 40000), dsr = sync_key("10.9.2.2", 40000);
  const xlb_ct_entry nat_entry = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  ASSERT_TRUE(dp().install_synced_flow(nat, nat_entry).ok());
  ASSERT_TRUE(dp().install_synced_flow(dsr, sync_entry(XLB_MODE_DSR, XLB_CT_EST)).ok());
  auto reply = sync_find(dp(), sync_reply_key(nat, nat_entry));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->entry.flags, XLB_CT_F_SNAT);
  EXPECT_EQ(std::memcmp(&reply->entry.nat_saddr, &nat.daddr, sizeof nat.daddr), 0);
  EXPECT_EQ(sync_all(dp()).size(), 3u) << "NAT: orig and reply; DSR: orig only";
  EXPECT_EQ(sync_active(dp()), 2u);
}

TEST_P(DatapathContract, SyncHandshakeFlowsGoToTheSynMapAndMoveWhenRefreshedEstablished) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000);
  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_SYN_RECV)).ok());
  for (const auto& [k, seen] : sync_all(dp())) EXPECT_TRUE(seen.syn_map);
  EXPECT_EQ(sync_all(dp()).size(), 2u);

  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST)).ok());
  auto all = sync_all(dp());
  ASSERT_EQ(all.size(), 2u) << "moved, not copied";
  for (const auto& [k, seen] : all) {
    EXPECT_FALSE(seen.syn_map);
    EXPECT_EQ(seen.entry.state, XLB_CT_EST);
  }
  EXPECT_EQ(sync_active(dp()), 1u) << "counted once, from the start";
}

// A synced flow's reply entry may be followed alone (XLB_CT_RF_ALONE) once the flow is
// established without PPv2: written so, or refreshed so; an established PPv2 flow's never is.
TEST_P(DatapathContract, SyncMarksTheReplyEntryAloneOnceTheFlowIsEstablishedWithoutPpv2) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000), ppv2 = sync_key("10.9.2.2", 40000);
  const xlb_ct_entry handshake = sync_entry(XLB_MODE_FULLNAT, XLB_CT_SYN_RECV);
  ASSERT_TRUE(dp().install_synced_flow(key, handshake).ok());
  auto reply = sync_find(dp(), sync_reply_key(key, handshake));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->entry.reply_flags, 0);
  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST)).ok());
  reply = sync_find(dp(), sync_reply_key(key, handshake));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->entry.reply_flags, XLB_CT_RF_ALONE) << "refreshed established";

  xlb_ct_entry with_header = sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST, 5001);
  with_header.ppv2_flags = XLB_PPV2_F_ON;
  with_header.ppv2_len = 28;
  ASSERT_TRUE(dp().install_synced_flow(ppv2, with_header).ok());
  reply = sync_find(dp(), sync_reply_key(ppv2, with_header));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->entry.reply_flags, 0) << "its replies' acknowledgements need the orig entry";
}

TEST_P(DatapathContract, SyncRefreshUpdatesTheFlowInPlace) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000);
  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST)).ok());
  xlb_ct_entry later = sync_entry(XLB_MODE_FULLNAT, XLB_CT_FIN_WAIT);
  later.flags |= XLB_CT_F_CLIENT_FIN;
  later.last_seen_ns = 9000;
  later.seq_next = 777;
  later.seen = XLB_CT_SEEN_SEQ;
  later.packets = 99;  // this node's counters stay its own
  ASSERT_TRUE(dp().install_synced_flow(key, later).ok());

  auto all = sync_all(dp());
  EXPECT_EQ(all.size(), 2u) << "refreshed, never duplicated";
  auto orig = sync_find(dp(), key);
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->entry.state, XLB_CT_FIN_WAIT);
  EXPECT_TRUE(orig->entry.flags & XLB_CT_F_CLIENT_FIN);
  EXPECT_EQ(orig->entry.last_seen_ns, 9000u);
  EXPECT_EQ(orig->entry.seq_next, 777u);
  EXPECT_EQ(orig->entry.packets, 3u);
  EXPECT_EQ(sync_find(dp(), sync_reply_key(key, later))->entry.state, XLB_CT_FIN_WAIT);
  EXPECT_EQ(sync_active(dp()), 1u);

  // Closed by the peer: uncounted once, however often it is reported.
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_CLOSED)).ok());
  EXPECT_EQ(sync_find(dp(), key)->entry.state, XLB_CT_CLOSED);
  EXPECT_FALSE(sync_find(dp(), key)->entry.flags & XLB_CT_F_COUNTED);
  EXPECT_EQ(sync_active(dp()), 0u);
  // An older report never reopens a flow closed here.
  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST)).ok());
  EXPECT_EQ(sync_find(dp(), key)->entry.state, XLB_CT_CLOSED);
  EXPECT_EQ(sync_active(dp()), 0u);
}

TEST_P(DatapathContract, SyncTuplesHeldByAnotherFlowAreRefusedAndNothingIsWritten) {
  // A local flow holds SNAT port 5000 toward the endpoint (its reply entry).
  const xlb_ct_key local = sync_key("10.9.2.9", 5000);
  const xlb_ct_entry local_entry = sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST);
  const xlb_ct_key local_reply = sync_reply_key(local, local_entry);
  xlb_ct_entry local_reply_entry{};
  local_reply_entry.dir = XLB_DIR_REPLY;
  local_reply_entry.mode = XLB_MODE_FULLNAT;
  local_reply_entry.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  local_reply_entry.nat_saddr = local.daddr;
  local_reply_entry.nat_sport = local.dport;
  local_reply_entry.nat_daddr = local.saddr;
  local_reply_entry.nat_dport = local.sport;
  subject().put_flow(local, local_entry, false);
  subject().put_flow(local_reply, local_reply_entry, false);

  // The peer's flow of another client got the same SNAT port.
  const xlb_ct_key key = sync_key("10.9.2.1", 40000);
  auto r = dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST, 5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, xlb::ErrorCode::already_exists) << r.error().message;
  EXPECT_FALSE(sync_find(dp(), key));
  EXPECT_EQ(sync_all(dp()).size(), 2u);
  EXPECT_EQ(sync_active(dp()), 0u);

  // The same client tuple, translated to another endpoint here: refused too.
  xlb_ct_entry elsewhere = local_entry;
  elsewhere.nat_daddr = sync_ip("10.9.1.2");
  auto r2 = dp().install_synced_flow(local, elsewhere);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, xlb::ErrorCode::already_exists);
  EXPECT_EQ(std::memcmp(&sync_find(dp(), local)->entry, &local_entry, sizeof local_entry), 0);
}

TEST_P(DatapathContract, SyncFlowsTheDatapathCouldNotHaveWrittenAreRefused) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000);
  auto refused = [&](const xlb_ct_key& k, const xlb_ct_entry& e, const char* what) {
    auto r = dp().install_synced_flow(k, e);
    EXPECT_FALSE(r.ok()) << what;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, xlb::ErrorCode::invalid_argument) << what;
    }
  };
  xlb_ct_entry reply_dir = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  reply_dir.dir = XLB_DIR_REPLY;
  refused(key, reply_dir, "a reply entry");
  xlb_ct_entry big_rule = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  big_rule.svc_id = sizes_.max_services;
  refused(key, big_rule, "a rule id beyond max_services");
  xlb_ct_entry big_ep = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  big_ep.ep_idx = XLB_MAX_ENDPOINTS;
  refused(key, big_ep, "an endpoint index beyond 32");
  refused(key, sync_entry(XLB_MODE_NAT, XLB_CT_UDP_EST), "a UDP state on a TCP flow");
  xlb_ct_entry untranslated = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  untranslated.flags = 0;
  refused(key, untranslated, "NAT without DNAT");
  xlb_ct_key other_family = key;
  other_family.family = 7;
  refused(other_family, sync_entry(XLB_MODE_NAT, XLB_CT_EST), "a family neither IPv4 nor IPv6");
  xlb_ct_key wide_v4 = key;
  wide_v4.saddr.w[2] = 1;
  refused(wide_v4, sync_entry(XLB_MODE_NAT, XLB_CT_EST), "an IPv4 key with more than 4 bytes");
  EXPECT_TRUE(sync_all(dp()).empty());
}

// IPv6: the same flow with 16-byte addresses, both entries derived as for IPv4.
TEST_P(DatapathContract, SyncInstallsAndRemovesAnIpv6FullNatFlow) {
  auto ip6 = [](const char* text) {
    xlb_ip ip{};
    inet_pton(AF_INET6, text, ip.w);
    return ip;
  };
  xlb_ct_key key = sync_key("10.9.2.1", 40000);
  key.saddr = ip6("2001:db8:9:2::1");
  key.daddr = ip6("2001:db8:9::1");
  key.family = XLB_AF_INET6;
  xlb_ct_entry e = sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST);
  e.nat_daddr = ip6("2001:db8:9:1::1");
  e.nat_saddr = ip6("2001:db8:9:3::1");
  ASSERT_TRUE(dp().install_synced_flow(key, e).ok());
  auto orig = sync_find(dp(), key);
  ASSERT_TRUE(orig);
  EXPECT_EQ(std::memcmp(&orig->entry.nat_daddr, &e.nat_daddr, sizeof e.nat_daddr), 0);
  const xlb_ct_key reply = sync_reply_key(key, e);
  EXPECT_EQ(reply.family, XLB_AF_INET6);
  auto r = sync_find(dp(), reply);
  ASSERT_TRUE(r) << "the reply entry, keyed endpoint -> SNAT address";
  EXPECT_EQ(std::memcmp(&r->entry.nat_daddr, &key.saddr, sizeof key.saddr), 0);
  EXPECT_EQ(sync_active(dp()), 1u);
  ASSERT_TRUE(dp().remove_synced_flow(key).ok());
  EXPECT_TRUE(sync_all(dp()).empty());
  EXPECT_EQ(sync_active(dp()), 0u);
}

// NAT64: an IPv6 client tuple translated to IPv4 (nat_family). The reply entry is keyed by the
// IPv4 tuple and translates back to IPv6; a translation to another family is FullNAT's alone.
TEST_P(DatapathContract, SyncInstallsANat64FlowWithAnIpv4ReplyEntry) {
  xlb_ct_key key = sync_key("10.9.2.1", 40000);
  inet_pton(AF_INET6, "2001:db8:9:2::1", key.saddr.w);
  inet_pton(AF_INET6, "2001:db8:9::1", key.daddr.w);
  key.family = XLB_AF_INET6;
  xlb_ct_entry e = sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST);
  e.nat_family = XLB_AF_INET;  // nat_daddr, nat_saddr: sync_entry's IPv4 endpoint and SNAT
  ASSERT_TRUE(dp().install_synced_flow(key, e).ok());
  const xlb_ct_key reply = sync_reply_key(key, e);
  EXPECT_EQ(reply.family, XLB_AF_INET);
  EXPECT_EQ(std::memcmp(&reply.saddr, &e.nat_daddr, sizeof e.nat_daddr), 0);
  auto r = sync_find(dp(), reply);
  ASSERT_TRUE(r) << "the reply entry, keyed IPv4 endpoint -> SNAT address";
  EXPECT_EQ(r->entry.nat_family, XLB_AF_INET6);
  EXPECT_EQ(std::memcmp(&r->entry.nat_daddr, &key.saddr, sizeof key.saddr), 0);
  EXPECT_EQ(sync_active(dp()), 1u);
  ASSERT_TRUE(dp().remove_synced_flow(key).ok());
  EXPECT_TRUE(sync_all(dp()).empty()) << "both entries, found through the family change";

  xlb_ct_entry nat = sync_entry(XLB_MODE_NAT, XLB_CT_EST);
  nat.nat_family = XLB_AF_INET;
  EXPECT_FALSE(dp().install_synced_flow(key, nat).ok()) << "NAT never changes family";
  EXPECT_FALSE(dp().install_synced_flow(sync_key("10.9.2.1", 40000), e).ok())
      << "no NAT46: an IPv4 key translated to IPv4 says nat_family 0";
  EXPECT_TRUE(sync_all(dp()).empty());
}

TEST_P(DatapathContract, SyncRemovalDeletesBothEntriesAndTheCountOnce) {
  const xlb_ct_key key = sync_key("10.9.2.1", 40000), other = sync_key("10.9.2.2", 40000);
  ASSERT_TRUE(dp().install_synced_flow(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST)).ok());
  ASSERT_TRUE(dp().install_synced_flow(other, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST, 5001)).ok());
  ASSERT_EQ(sync_active(dp()), 2u);
  ASSERT_TRUE(dp().remove_synced_flow(key).ok());
  EXPECT_FALSE(sync_find(dp(), key));
  EXPECT_FALSE(sync_find(dp(), sync_reply_key(key, sync_entry(XLB_MODE_FULLNAT, XLB_CT_EST))));
  EXPECT_EQ(sync_all(dp()).size(), 2u) << "the other flow stays whole";
  EXPECT_EQ(sync_active(dp()), 1u);
  ASSERT_TRUE(dp().remove_synced_flow(key).ok()) << "not found is ok";
  EXPECT_EQ(sync_active(dp()), 1u);
}

TEST_P(DatapathContract, SyncSnatPortRangeIsValidated) {
  EXPECT_TRUE(dp().set_snat_port_range(XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX).ok());
  EXPECT_TRUE(dp().set_snat_port_range(20000, 20000).ok());
  for (auto [lo, hi] : {std::pair<uint16_t, uint16_t>{20001, 20000},
                        {XLB_SNAT_PORT_MIN - 1, 2000},
                        {2000, XLB_SNAT_PORT_MAX + 1}}) {
    auto r = dp().set_snat_port_range(lo, hi);
    EXPECT_FALSE(r.ok()) << lo << "-" << hi;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, xlb::ErrorCode::invalid_argument);
    }
  }
}

}  // namespace xlbtest

// The ABI's shared names and arithmetic (include/xlb/abi) and the one xlb_svc encoder, as the
// control plane sees them; the datapath tests run the same code in BPF.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "conntrack/tuple.h"
#include "select/svc_value.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb {
namespace {

// The names are on the wire (/api/v1/stats keys, /metrics labels): they never change, and
// their order is the counter map's layout.
TEST(AbiStats, VerdictNamesAreTheWireNamesInCounterOrder) {
  const std::vector<std::string> wire = {
      "pass_not_ip",      "pass_not_vip",   "pass_no_rule",   "pass_fragment",
      "pass_no_route",    "pass_ttl",       "drop_malformed", "drop_no_endpoint",
      "drop_ct_full",     "fwd_new",        "fwd_est",        "icmp_echo_reply",
      "arp_reply",        "pass_malformed", "drop_rewrite",   "drop_snat_exhausted",
      "icmp_frag_needed", "pass_dsr_reply", "pass_proxy",     "flow_events_lost",
      "drop_no_route"};
  ASSERT_EQ(static_cast<size_t>(XLB_STAT_MAX), wire.size());
  for (size_t i = 0; i < wire.size(); ++i) EXPECT_EQ(xlb_dp_stat_names[i], wire[i]) << i;
  EXPECT_STREQ(xlb_dp_stat_names[XLB_STAT_DROP_REWRITE], "drop_rewrite");
  EXPECT_STREQ(xlb_dp_stat_names[XLB_STAT_PASS_DSR_REPLY], "pass_dsr_reply");
}

TEST(AbiStats, EndpointSlotsOfTwoRulesNeverOverlap) {
  std::set<uint32_t> seen;
  for (uint32_t svc = 0; svc < 3; ++svc)
    for (uint32_t ep = 0; ep < XLB_MAX_ENDPOINTS; ++ep)
      EXPECT_TRUE(seen.insert(xlb_ep_slot(svc, ep)).second) << svc << "/" << ep;
  EXPECT_EQ(xlb_ep_slot(2, 5), 2u * XLB_MAX_ENDPOINTS + 5);
}

TEST(AbiMaps, PinNamesAreTheStringifiedIdentifiers) {
  EXPECT_STREQ(XLB_MAP_CT, "xlb_ct_v2");
  EXPECT_STREQ(XLB_MAP_DP_STATS, "xlb_dp_stat_v4");
  EXPECT_STREQ(XLB_MAP_SVC, "xlb_svc_v1");
}

xlb_ip abi_ip(const char* dotted) {
  xlb_ip out{};
  inet_pton(AF_INET, dotted, &out.w[0]);
  return out;
}

xlb_ct_key abi_key(const char* s, uint16_t sport, const char* d, uint16_t dport) {
  xlb_ct_key k{};
  k.saddr = abi_ip(s);
  k.daddr = abi_ip(d);
  k.sport = htons(sport);
  k.dport = htons(dport);
  k.proto = IPPROTO_TCP;
  k.family = XLB_AF_INET;
  return k;
}

bool same_ct_key_bytes(const xlb_ct_key& a, const xlb_ct_key& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// NAT: the client's orig entry DNATs to the endpoint; its peer is the endpoint's reply tuple,
// whose entry SNATs back to the VIP, and whose peer is the client's tuple again.
TEST(AbiConntrack, NatPeerKeysPairTheTwoDirections) {
  const xlb_ct_key orig = abi_key("10.0.0.1", 40000, "20.0.0.1", 80);
  xlb_ct_entry o{};
  o.flags = XLB_CT_F_DNAT;
  o.nat_daddr = abi_ip("10.1.0.2");
  o.nat_dport = htons(8080);
  const xlb_ct_key reply = peer_key(orig, o);
  EXPECT_TRUE(same_ct_key_bytes(reply, abi_key("10.1.0.2", 8080, "10.0.0.1", 40000)));

  xlb_ct_entry r{};
  r.flags = XLB_CT_F_SNAT;
  r.nat_saddr = abi_ip("20.0.0.1");
  r.nat_sport = htons(80);
  EXPECT_TRUE(same_ct_key_bytes(peer_key(reply, r), orig));
  EXPECT_TRUE(
      same_ct_key_bytes(translated_key(reply, r), abi_key("20.0.0.1", 80, "10.0.0.1", 40000)));
}

TEST(AbiConntrack, FullNatPeerKeyUsesBothTranslations) {
  const xlb_ct_key orig = abi_key("10.0.0.1", 40000, "20.0.0.1", 80);
  xlb_ct_entry o{};
  o.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  o.nat_saddr = abi_ip("10.1.0.254");
  o.nat_sport = htons(1024);
  o.nat_daddr = abi_ip("10.1.0.2");
  o.nat_dport = htons(8080);
  EXPECT_TRUE(same_ct_key_bytes(peer_key(orig, o), abi_key("10.1.0.2", 8080, "10.1.0.254", 1024)));
}

// NAT64: the client's IPv6 orig entry translates to an IPv4 tuple (its nat_family), so its peer
// is the endpoint's IPv4 reply tuple, whose entry translates back to IPv6: both keys carry the
// family of their own addresses, which is what pairs them.
TEST(AbiConntrack, Nat64PeerKeysChangeFamilyBothWays) {
  xlb_ct_key orig{};
  inet_pton(AF_INET6, "2001:db8::1", &orig.saddr);
  inet_pton(AF_INET6, "2001:db8::200", &orig.daddr);
  orig.sport = htons(40000);
  orig.dport = htons(80);
  orig.proto = IPPROTO_TCP;
  orig.family = XLB_AF_INET6;
  xlb_ct_entry o{};
  o.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  o.nat_family = XLB_AF_INET;
  o.nat_saddr = abi_ip("10.1.0.254");
  o.nat_sport = htons(1024);
  o.nat_daddr = abi_ip("10.1.0.2");
  o.nat_dport = htons(8080);
  const xlb_ct_key reply = peer_key(orig, o);
  EXPECT_TRUE(same_ct_key_bytes(reply, abi_key("10.1.0.2", 8080, "10.1.0.254", 1024)));

  xlb_ct_entry r{};
  r.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  r.nat_family = XLB_AF_INET6;
  r.nat_saddr = orig.daddr;
  r.nat_sport = orig.dport;
  r.nat_daddr = orig.saddr;
  r.nat_dport = orig.sport;
  EXPECT_TRUE(same_ct_key_bytes(peer_key(reply, r), orig));
  o.nat_family = 0;  // without it the peer would be an IPv6 key spelling IPv4 addresses
  EXPECT_EQ(peer_key(orig, o).family, XLB_AF_INET6);
}

xlb_endpoint abi_endpoint(const char* addr, uint8_t weight, uint8_t state) {
  xlb_endpoint e{};
  e.addr = abi_ip(addr);
  e.port = htons(8080);
  e.weight = weight;
  e.state = state;
  e.family = XLB_AF_INET;
  return e;
}

TEST(SvcValue, SlotsGoToUpEndpointsByWeightUnlessRoundRobin) {
  select::SvcValueSpec spec;
  spec.id = 7;
  spec.select = XLB_SEL_PRIORITY;
  spec.endpoints = {abi_endpoint("10.1.0.2", 3, XLB_EP_UP),
                    abi_endpoint("10.1.0.3", 1, XLB_EP_DOWN),
                    abi_endpoint("10.1.0.4", 1, XLB_EP_UP)};
  xlb_svc svc = select::encode_svc(spec);
  EXPECT_EQ(svc.id, 7u);
  EXPECT_EQ(svc.nr_endpoints, 3);
  ASSERT_EQ(svc.nr_slots, 4);
  std::vector<int> owned(3, 0);
  for (int i = 0; i < svc.nr_slots; ++i) ++owned.at(svc.slots[i]);
  EXPECT_EQ(owned, (std::vector<int>{3, 0, 1}));

  spec.select = XLB_SEL_RR;
  svc = select::encode_svc(spec);
  ASSERT_EQ(svc.nr_slots, 2);
  EXPECT_EQ(svc.slots[0], 0);
  EXPECT_EQ(svc.slots[1], 2);
}

TEST(SvcValue, PaddingIsZeroAndListsAreCappedToTheAbi) {
  select::SvcValueSpec spec;
  xlb_endpoint dirty = abi_endpoint("10.1.0.2", 1, XLB_EP_UP);
  std::memset(dirty.pad, 0xff, sizeof dirty.pad);
  spec.endpoints.assign(XLB_MAX_ENDPOINTS + 3, dirty);
  spec.snat.assign(XLB_MAX_SNAT + 2, abi_ip("10.1.0.254"));
  xlb_svc svc = select::encode_svc(spec);
  EXPECT_EQ(svc.nr_endpoints, XLB_MAX_ENDPOINTS);
  EXPECT_EQ(svc.nr_snat, XLB_MAX_SNAT);
  EXPECT_EQ(svc.maglev_gen, 0);
  for (const auto& e : svc.eps) EXPECT_EQ(e.pad[0] | e.pad[1] | e.pad[2], 0);
}

}  // namespace
}  // namespace xlb

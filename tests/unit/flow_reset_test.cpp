// reset_endpoint_flows (a rule's on_down=reset) sees both conntrack maps: an endpoint's
// half-open flows in the syn map go as well as its established ones.
#include "reconcile/flow_reset.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "common/ip.h"
#include "conntrack/tuple.h"
#include "datapath/fake/fake_datapath.h"

namespace xlb {
namespace {

struct NatPair {
  xlb_ct_key orig_key{};
  xlb_ct_entry orig{};
  xlb_ct_key reply_key{};
  xlb_ct_entry reply{};
};

// client:cport -> 10.0.0.100:80 DNATed to 10.0.1.<ep_idx + 2>:8080 (rule 1), and its reply.
NatPair nat_pair(uint16_t cport, uint16_t ep_idx, uint8_t state) {
  NatPair p;
  p.orig_key.saddr = *parse_ipv4("192.168.1.10");
  p.orig_key.daddr = *parse_ipv4("10.0.0.100");
  p.orig_key.sport = htons(cport);
  p.orig_key.dport = htons(80);
  p.orig_key.proto = IPPROTO_TCP;
  p.orig_key.family = XLB_AF_INET;
  p.orig.dir = XLB_DIR_ORIG;
  p.orig.state = state;
  p.orig.mode = XLB_MODE_NAT;
  p.orig.flags = XLB_CT_F_DNAT;
  p.orig.svc_id = 1;
  p.orig.ep_idx = ep_idx;
  p.orig.nat_daddr = *parse_ipv4("10.0.1." + std::to_string(ep_idx + 2));
  p.orig.nat_dport = htons(8080);
  p.reply_key = peer_key(p.orig_key, p.orig);
  p.reply = p.orig;
  p.reply.dir = XLB_DIR_REPLY;
  p.reply.flags = XLB_CT_F_SNAT;
  p.reply.nat_saddr = p.orig_key.daddr;
  p.reply.nat_sport = p.orig_key.dport;
  return p;
}

TEST(FlowReset, DeletesTheEndpointsFlowsFromBothConntrackMaps) {
  FakeDatapath dp;
  const NatPair est = nat_pair(40001, 0, XLB_CT_EST);
  const NatPair half_open = nat_pair(40002, 0, XLB_CT_SYN_SENT);
  const NatPair other_ep = nat_pair(40003, 1, XLB_CT_SYN_SENT);
  for (const NatPair* p : {&est, &half_open, &other_ep}) {
    const bool syn_map = p->orig.state != XLB_CT_EST;
    dp.add_flow(p->orig_key, p->orig, syn_map);
    dp.add_flow(p->reply_key, p->reply, syn_map);
  }
  auto n = reset_endpoint_flows(dp, {{1, 0}});
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 2u);
  auto gone = [&dp](const xlb_ct_key& k) { return !*dp.lookup_flow(k); };
  EXPECT_TRUE(gone(est.orig_key) && gone(est.reply_key));
  EXPECT_TRUE(gone(half_open.orig_key) && gone(half_open.reply_key));
  EXPECT_FALSE(gone(other_ep.orig_key));
  EXPECT_FALSE(gone(other_ep.reply_key));
}

}  // namespace
}  // namespace xlb

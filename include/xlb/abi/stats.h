/* Per-CPU counters: per rule, per endpoint, and datapath verdicts by reason. */
#ifndef XLB_ABI_STATS_H
#define XLB_ABI_STATS_H

#include "common.h"
#include "service.h"

struct xlb_counter {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};
XLB_STATIC_ASSERT(sizeof(struct xlb_counter) == 24, "counter size");

/* DSR packets sent to an endpoint, by the way they left: what the datapath did, beside what the
 * control plane predicts (`xlbctl get lb -o wide`, diagnose). Per xlb_ep_slot. */
struct xlb_dsr_counter {
	__u64 l2;   /* MACs rewritten: the endpoint was its own next hop */
	__u64 ipip; /* tunnelled (routed endpoint, or the rule forces IPIP) */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_dsr_counter) == 16, "dsr counter size");

/* Slot of an endpoint's counters (xlb_ep_stat, xlb_ep_dsr) and active flows (xlb_ep_conns): one
 * block of XLB_MAX_ENDPOINTS slots per rule id. */
static inline __u32 xlb_ep_slot(__u32 svc_id, __u32 ep_idx)
{
	return svc_id * XLB_MAX_ENDPOINTS + ep_idx;
}

/* The datapath verdict reasons, in counter-index order (the index is the map layout: append
 * only), each with the name the API, metrics and CLI show. X(enum suffix, name). */
#define XLB_DP_STATS(X)                                                                            \
	X(PASS_NOT_IP, "pass_not_ip")		/* neither IPv4 nor IPv6 (ARP not for a VIP) */    \
	X(PASS_NOT_VIP, "pass_not_vip")		/* IP not to a VIP or tracked flow */              \
	X(PASS_NO_RULE, "pass_no_rule")		/* VIP, but no rule for this port/protocol */      \
	X(PASS_FRAGMENT, "pass_fragment")	/* IP fragment: never rewritten */                 \
	X(PASS_NO_ROUTE, "pass_no_route")	/* no route to the endpoint: kernel decides */     \
	X(PASS_TTL, "pass_ttl")			/* TTL would expire: kernel sends time exceeded */ \
	X(DROP_MALFORMED, "drop_malformed")	/* truncated/invalid header addressed to a VIP */  \
	X(DROP_NO_ENDPOINT, "drop_no_endpoint") /* no endpoint able to take new flows */           \
	X(DROP_CT_FULL, "drop_ct_full")		/* conntrack insert failed */                      \
	X(FWD_NEW, "fwd_new")			/* new flow forwarded */                           \
	X(FWD_EST, "fwd_est")			/* tracked flow forwarded */                       \
	X(ICMP_ECHO_REPLY, "icmp_echo_reply")	/* ping/ping6 to a VIP answered */                 \
	X(ARP_REPLY, "arp_reply")		/* ARP or IPv6 NS for a VIP answered */            \
	X(PASS_MALFORMED, "pass_malformed")	/* truncated/invalid, not for a VIP */             \
	X(DROP_REWRITE, "drop_rewrite") /* a helper failed rewriting or sending the frame */       \
	X(DROP_SNAT_EXHAUSTED, "drop_snat_exhausted") /* FullNAT: no free source port */           \
	X(ICMP_FRAG_NEEDED, "icmp_frag_needed") /* DSR: too big once tunnelled, ICMP(v6) sent */   \
	X(PASS_DSR_REPLY, "pass_dsr_reply")	/* from VIP:port of a DSR rule: a backend's reply  \
						 * routed via the LB (it should bypass it) */      \
	X(PASS_PROXY, "pass_proxy") /* to a fullproxy VIP:port: marked for xlb-proxy */            \
	X(FLOW_EVENTS_LOST, "flow_events_lost") /* not a verdict: a conntrack sync event dropped   \
						 * because the ring buffer was full */

#define XLB_DP_STAT_ENUM_(id, name) XLB_STAT_##id,
/* Index into the datapath verdict counters (xlb_dp_stat_*). */
enum xlb_dp_stat { XLB_DP_STATS(XLB_DP_STAT_ENUM_) XLB_STAT_MAX };
#undef XLB_DP_STAT_ENUM_
/* Appending keeps the indexes; anything else renumbers the pinned counters. */
XLB_STATIC_ASSERT(XLB_STAT_FWD_NEW == 9 && XLB_STAT_PASS_DSR_REPLY == 17 &&
		      XLB_STAT_PASS_PROXY == 18 && XLB_STAT_FLOW_EVENTS_LOST == 19,
		  "verdict reasons keep their counter index");
/* The counter map's size: room to append reasons without a new map (a pinned map of another size
 * is never re-adopted, so growing it would mean a new name and lost counters). */
#define XLB_DP_STAT_SLOTS 64
XLB_STATIC_ASSERT(XLB_STAT_MAX <= XLB_DP_STAT_SLOTS, "verdict counters fit their map");

#ifndef __bpf__
/* Printable names, indexed by enum xlb_dp_stat (control plane only). */
#define XLB_DP_STAT_NAME_(id, name) name,
static const char *const xlb_dp_stat_names[XLB_STAT_MAX] = {XLB_DP_STATS(XLB_DP_STAT_NAME_)};
#undef XLB_DP_STAT_NAME_
#endif

#endif

/* Per-CPU counters: per rule, per endpoint, and datapath verdicts by reason. */
#ifndef XLB_ABI_STATS_H
#define XLB_ABI_STATS_H

#include "common.h"

struct xlb_counter {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
};
XLB_STATIC_ASSERT(sizeof(struct xlb_counter) == 24, "counter size");

/* Index into the datapath verdict counters. Keep xlb_dp_stat_names in sync (C++ side). */
enum xlb_dp_stat {
	XLB_STAT_PASS_NOT_IP = 0,	   /* not IPv4 (ARP not for a VIP, IPv6, ...) */
	XLB_STAT_PASS_NOT_VIP = 1,	   /* IPv4 not addressed to a VIP or tracked flow */
	XLB_STAT_PASS_NO_RULE = 2,	   /* VIP, but no rule for this port/protocol */
	XLB_STAT_PASS_FRAGMENT = 3,	   /* IP fragment: never rewritten */
	XLB_STAT_PASS_NO_ROUTE = 4,	   /* no route/neighbour to the endpoint: kernel decides */
	XLB_STAT_PASS_TTL = 5,		   /* TTL would expire: kernel sends time exceeded */
	XLB_STAT_DROP_MALFORMED = 6,	   /* truncated/invalid header addressed to a VIP */
	XLB_STAT_DROP_NO_ENDPOINT = 7,	   /* rule has no endpoint able to take new flows */
	XLB_STAT_DROP_CT_FULL = 8,	   /* conntrack insert failed */
	XLB_STAT_FWD_NEW = 9,		   /* new flow forwarded */
	XLB_STAT_FWD_EST = 10,		   /* tracked flow forwarded */
	XLB_STAT_ICMP_ECHO_REPLY = 11,	   /* ping to a VIP answered */
	XLB_STAT_ARP_REPLY = 12,	   /* ARP for a VIP answered */
	XLB_STAT_PASS_MALFORMED = 13,	   /* truncated/invalid, not for a VIP: kernel decides */
	XLB_STAT_DROP_REWRITE = 14,	   /* a helper failed mid-rewrite */
	XLB_STAT_DROP_SNAT_EXHAUSTED = 15, /* FullNAT: no free source port toward the endpoint */
	XLB_STAT_ICMP_FRAG_NEEDED =
	    16, /* DSR/IPIP: too big once tunnelled; ICMP sent to the client */
	XLB_STAT_PASS_DSR_REPLY = 17, /* from VIP:port of a DSR rule: a backend's reply routed via
				       * the LB (DSR replies should bypass it) */
	XLB_STAT_MAX
};

#endif

/* The packet path's entry, shared by the hooks (ctx.h): parse, answer for VIPs, balance, then
 * count the verdict once. xlb_tc.bpf.c and xlb_xdp.bpf.c are thin SEC() wrappers around
 * xlb_packet_entry, each compiling this file for its context. */
#ifndef XLB_BPF_ENTRY_H
#define XLB_BPF_ENTRY_H

#include "lib/flow.h"
#include "lib/flow_events.h"
#include "lib/icmp_error.h"
#include "lib/responder.h"
#include "lib/stats.h"
#include "lib/verdict.h"

static __always_inline xlb_verdict malformed(const struct xlb_ip *daddr)
{
	/* Garbage aimed at a VIP is ours to drop; anything else the kernel judges. */
	if (daddr && is_vip(daddr))
		return verdict_drop(XLB_STAT_DROP_MALFORMED);
	return verdict_pass(XLB_STAT_PASS_MALFORMED);
}

static __always_inline xlb_verdict decide(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	xlb_verdict v;
	int rc;

	pull_headers(ctx);
	rc = parse_packet(ctx, p);
	/* XDP leaves tagged frames to TC (ctx.h): it cannot pop a tag the way TC's egress wants. */
	if (XLB_IS_XDP && p->vlan)
		return verdict_to_skb();
	switch (rc) {
	case PARSE_OK:
		break;
	case PARSE_NOT_IP:
		if (p->eth_proto == bpf_htons(ETH_P_ARP)) {
			v = answer_arp(ctx, p);
			if (v != XLB_NO_VERDICT)
				return v;
		}
		return verdict_pass(XLB_STAT_PASS_NOT_IP);
	case PARSE_BAD_IP:
		return malformed(NULL);
	case PARSE_BAD_L4:
		return malformed(&p->daddr);
	case PARSE_FRAGMENT:
		return verdict_pass(XLB_STAT_PASS_FRAGMENT);
	default: /* another L4 protocol */
		return verdict_pass(is_vip(&p->daddr) ? XLB_STAT_PASS_NO_RULE
						      : XLB_STAT_PASS_NOT_VIP);
	}

	if (pkt_is_v6(p) && p->proto == IPPROTO_ICMPV6 && p->icmp_type == ICMPV6_NEIGH_SOLICIT) {
		v = answer_ns(ctx, p);
		if (v != XLB_NO_VERDICT)
			return v;
	}
	if (p->proto == (pkt_is_v6(p) ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		/* A BACKUP or FAULT node does not answer for the VIPs: the kernel has the ping. */
		if (p->icmp_type == (pkt_is_v6(p) ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) &&
		    is_vip(&p->daddr))
			return ha_answers_for_vips() ? answer_echo(ctx, p)
						     : verdict_pass(XLB_STAT_PASS_NO_RULE);
		if (icmp_is_error(p) && p->ttl > 1) {
#ifdef XLB_HOOK_XDP
			return verdict_to_skb(); /* translated by TC (icmp_error.h) */
#else
			v = pkt_is_v6(p) ? translate_icmp6_error(ctx, p)
					 : translate_icmp_error(ctx, p);
			if (v != XLB_NO_VERDICT)
				return v;
#endif
		}
		return verdict_pass(is_vip(&p->daddr) ? XLB_STAT_PASS_NO_RULE
						      : XLB_STAT_PASS_NOT_VIP);
	}

	/* Not ours to expire: the kernel sends the time-exceeded. */
	if (p->ttl <= 1)
		return verdict_pass(XLB_STAT_PASS_TTL);
	return balance(ctx, p);
}

/* Counts the packet once: its reason, and for a balanced flow's packet its rule and endpoint.
 * Returns the hook's action. Inlined: as a global function (verified once) it cost 5-10 ns per
 * packet (bench/datapath_bench); inlined, verification grows by 0.5%. */
static __always_inline int count_verdict(xlb_verdict v, __u32 bytes)
{
	__u32 flags = verdict_flags(v);

	stat_verdict(verdict_reason(v));
	if (!(flags & XLB_VF_RULE))
		return verdict_action(v);
	stat_flow(verdict_svc_id(v), verdict_ep_idx(v), bytes, flags & XLB_VF_NEW_FLOW);
	if (flags & (XLB_VF_DSR_L2 | XLB_VF_DSR_IPIP))
		stat_dsr(verdict_svc_id(v), verdict_ep_idx(v), flags & XLB_VF_DSR_IPIP);
	return verdict_action(v);
}

/* One packet: decided, then counted with its flow event reported. XDP counts no pass: the
 * packet goes on to TC, which decides it again (the same path: nothing before an XDP pass
 * touched the packet or its flow) and counts it there, so it counts once. */
static __always_inline int xlb_packet_entry(struct xlb_ctx *ctx)
{
	struct xlb_pkt p = {};
	xlb_verdict v = decide(ctx, &p);

	if (XLB_IS_XDP && verdict_action(v) == XLB_ACT_PASS)
		return XLB_ACT_PASS;
	flow_event_reported(&p);
	return count_verdict(v, p.len);
}

#endif

/* A packet's verdict: the hook's action and the reason it is counted under (enum xlb_dp_stat),
 * decided along the packet path and counted exactly once, by the entry point (xlb_tc.bpf.c).
 * Leaves return a verdict instead of counting, so no frame is counted twice and none is
 * counted as forwarded unless the redirect took it (verdict_sent). A forwarded frame of a
 * balanced flow also carries its rule and endpoint, for the per-rule counters.
 *
 * One scalar, so that global and static BPF functions can return it (r0):
 * bits 0-7 the hook's action (ctx.h), 8-15 reason, 16-23 XLB_VF_*, 24-31 endpoint index, 32-63 rule
 * id. */
#ifndef XLB_BPF_VERDICT_H
#define XLB_BPF_VERDICT_H

#include <linux/types.h>

#include "xlb/abi/stats.h"

#include "lib/ctx.h"

typedef __u64 xlb_verdict;

#define XLB_VF_RULE (1u << 0)	  /* counts for its rule and endpoint too */
#define XLB_VF_NEW_FLOW (1u << 1) /* the first packet of a flow */
#define XLB_VF_DSR_L2 (1u << 2)	  /* DSR, sent with only its MACs rewritten */
#define XLB_VF_DSR_IPIP (1u << 3) /* DSR, tunnelled */

/* "No verdict yet": a step that found the packet is not its business (answer_arp,
 * translate_icmp_error, dsr_refuse_too_big). No real verdict has all bits set. */
#define XLB_NO_VERDICT (~(xlb_verdict)0)

static __always_inline xlb_verdict verdict(int action, enum xlb_dp_stat reason)
{
	return ((xlb_verdict)reason << 8) | (__u8)action;
}

static __always_inline xlb_verdict verdict_pass(enum xlb_dp_stat reason)
{
	return verdict(XLB_ACT_PASS, reason);
}

static __always_inline xlb_verdict verdict_drop(enum xlb_dp_stat reason)
{
	return verdict(XLB_ACT_DROP, reason);
}

/* A frame the datapath began to rewrite or answer and could not finish (a helper failed, or the
 * answer cannot be built): dropped, as drop_rewrite. */
static __always_inline xlb_verdict rewrite_failed(void)
{
	return verdict_drop(XLB_STAT_DROP_REWRITE);
}

/* A packet of rule svc_id's flow to endpoint ep_idx, to be forwarded as `reason`. */
static __always_inline xlb_verdict verdict_flow(enum xlb_dp_stat reason, __u32 svc_id, __u32 ep_idx,
						__u32 flags)
{
	return ((xlb_verdict)svc_id << 32) | ((xlb_verdict)(__u8)ep_idx << 24) |
	       ((xlb_verdict)(__u8)(flags | XLB_VF_RULE) << 16) | verdict(XLB_ACT_REDIRECT, reason);
}

/* A flow verdict with more XLB_VF_* flags. */
static __always_inline xlb_verdict verdict_with(xlb_verdict v, __u32 flags)
{
	return v | ((xlb_verdict)(__u8)flags << 16);
}

/* `action` is what sending the frame returned (ctx_redirect, bpf_redirect*, or XLB_ACT_DROP from
 * a step before it): the frame is forwarded as `sent` only if the redirect took it, else it is
 * a drop. XDP sends a frame back out of its own device with XDP_TX, which the verdict carries. */
static __always_inline xlb_verdict verdict_sent(long action, xlb_verdict sent)
{
	if (XLB_IS_XDP && action == XLB_ACT_TX)
		return (sent & ~(xlb_verdict)0xff) | XLB_ACT_TX;
	return action == XLB_ACT_REDIRECT ? sent : rewrite_failed();
}

/* XDP only: the packet needs what only an skb offers (PPv2 insertion, the L7 hand-off, a VLAN
 * tag, an unresolved neighbour, an ICMP error to translate or send): XDP_PASS, decided before
 * the packet or any flow state was touched. The TC program behind it takes the same decision
 * path and counts the packet, once; the XDP entry point counts no pass (xlb_xdp.bpf.c). */
static __always_inline xlb_verdict verdict_to_skb(void)
{
	return verdict(XLB_ACT_PASS, XLB_STAT_PASS_NOT_VIP);
}

static __always_inline int verdict_action(xlb_verdict v)
{
	return v & 0xff;
}

static __always_inline __u32 verdict_reason(xlb_verdict v)
{
	return (v >> 8) & 0xff;
}

static __always_inline __u32 verdict_flags(xlb_verdict v)
{
	return (v >> 16) & 0xff;
}

static __always_inline __u32 verdict_ep_idx(xlb_verdict v)
{
	return (v >> 24) & 0xff;
}

static __always_inline __u32 verdict_svc_id(xlb_verdict v)
{
	return v >> 32;
}

#endif

/* xlb TC ingress datapath: runs on clsact ingress of every interface the LB manages. The packet
 * path (decide) returns the packet's verdict; the entry point counts it, exactly once. */
#include "lib/flow.h"
#include "lib/flow_events.h"
#include "lib/icmp_error.h"
#include "lib/responder.h"
#include "lib/stats.h"
#include "lib/verdict.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline xlb_verdict malformed(const struct xlb_ip *daddr)
{
	/* Garbage aimed at a VIP is ours to drop; anything else the kernel judges. */
	if (daddr && is_vip(daddr))
		return verdict_drop(XLB_STAT_DROP_MALFORMED);
	return verdict_pass(XLB_STAT_PASS_MALFORMED);
}

static __always_inline xlb_verdict decide(struct __sk_buff *skb, struct xlb_pkt *p)
{
	xlb_verdict v;

	pull_headers(skb);
	switch (parse_packet(skb, p)) {
	case PARSE_OK:
		break;
	case PARSE_NOT_IP:
		if (p->eth_proto == bpf_htons(ETH_P_ARP)) {
			v = answer_arp(skb, p);
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
		v = answer_ns(skb, p);
		if (v != XLB_NO_VERDICT)
			return v;
	}
	if (p->proto == (pkt_is_v6(p) ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		/* A BACKUP or FAULT node does not answer for the VIPs: the kernel has the ping. */
		if (p->icmp_type == (pkt_is_v6(p) ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) &&
		    is_vip(&p->daddr))
			return ha_answers_for_vips() ? answer_echo(skb, p)
						     : verdict_pass(XLB_STAT_PASS_NO_RULE);
		if (icmp_is_error(p) && p->ttl > 1) {
			v = pkt_is_v6(p) ? translate_icmp6_error(skb, p)
					 : translate_icmp_error(skb, p);
			if (v == XLB_NAT64_ICMP_DEFERRED)
				v = nat64_icmp_error(skb, p);
			if (v != XLB_NO_VERDICT)
				return v;
		}
		return verdict_pass(is_vip(&p->daddr) ? XLB_STAT_PASS_NO_RULE
						      : XLB_STAT_PASS_NOT_VIP);
	}

	/* Not ours to expire: the kernel sends the time-exceeded. */
	if (p->ttl <= 1)
		return verdict_pass(XLB_STAT_PASS_TTL);
	return balance(skb, p);
}

/* Counts the packet once: its reason, and for a balanced flow's packet its rule and endpoint.
 * Returns the TC action. Inlined: as a global function (verified once) it cost 5-10 ns per
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

SEC("tc")
int xlb_ingress(struct __sk_buff *skb)
{
	struct xlb_pkt p = {};
	xlb_verdict v = decide(skb, &p);

	flow_event_reported(&p);
	return count_verdict(v, p.len);
}

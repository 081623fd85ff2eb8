/* xlb TC ingress datapath: runs on clsact ingress of every interface the LB manages. */
#include "lib/flow.h"
#include "lib/icmp_error.h"
#include "lib/responder.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int malformed(__u32 daddr_known, __u32 daddr)
{
	/* Garbage aimed at a VIP is ours to drop; anything else the kernel judges. */
	if (daddr_known && is_vip(daddr)) {
		stat_verdict(XLB_STAT_DROP_MALFORMED);
		return TC_ACT_SHOT;
	}
	stat_verdict(XLB_STAT_PASS_MALFORMED);
	return TC_ACT_OK;
}

SEC("tc")
int xlb_ingress(struct __sk_buff *skb)
{
	struct xlb_pkt p = {};
	int rc, verdict;

	pull_headers(skb);
	rc = parse_packet(skb, &p);
	switch (rc) {
	case PARSE_OK:
		break;
	case PARSE_NOT_IP:
		if (p.eth_proto == bpf_htons(ETH_P_ARP)) {
			verdict = answer_arp(skb, &p);
			if (verdict >= 0)
				return verdict;
		}
		stat_verdict(XLB_STAT_PASS_NOT_IP);
		return TC_ACT_OK;
	case PARSE_BAD_IP:
		return malformed(0, 0);
	case PARSE_BAD_L4:
		return malformed(1, p.daddr);
	case PARSE_FRAGMENT:
		stat_verdict(XLB_STAT_PASS_FRAGMENT);
		return TC_ACT_OK;
	default: /* another L4 protocol */
		stat_verdict(is_vip(p.daddr) ? XLB_STAT_PASS_NO_RULE : XLB_STAT_PASS_NOT_VIP);
		return TC_ACT_OK;
	}

	if (p.proto == IPPROTO_ICMP) {
		if (p.icmp_type == ICMP_ECHO && is_vip(p.daddr))
			return answer_echo(skb, &p);
		if (icmp_is_error(p.icmp_type) && p.ttl > 1) {
			verdict = translate_icmp_error(skb, &p);
			if (verdict >= 0)
				return verdict;
		}
		stat_verdict(is_vip(p.daddr) ? XLB_STAT_PASS_NO_RULE : XLB_STAT_PASS_NOT_VIP);
		return TC_ACT_OK;
	}

	if (p.ttl <= 1) {
		/* Not ours to expire: the kernel sends the time-exceeded. */
		stat_verdict(XLB_STAT_PASS_TTL);
		return TC_ACT_OK;
	}
	return balance(skb, &p);
}

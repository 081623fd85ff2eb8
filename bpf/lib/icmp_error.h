/* ICMP and ICMPv6 errors about a balanced flow (port unreachable, fragmentation needed or
 * packet too big, time exceeded)
 * come from the endpoint's side addressed to what the endpoint saw: the client (NAT) or the
 * LB's SNAT address (FullNAT), quoting the translated packet. They are translated back so the
 * client sees an error about the packet it sent, from the VIP: PMTU discovery works through
 * the LB. Errors that quote no tracked flow go to the kernel untouched. */
#ifndef XLB_BPF_ICMP_ERROR_H
#define XLB_BPF_ICMP_ERROR_H

#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/fwd.h"
#include "lib/parse.h"
#include "lib/scratch.h"
#include "lib/verdict.h"

#define ICMP_TIME_EXCEEDED 11

static __always_inline int icmp_is_error(const struct xlb_pkt *p)
{
	if (pkt_is_v6(p))
		return p->icmp_type >= ICMPV6_DEST_UNREACH && p->icmp_type <= ICMPV6_PARAMPROB;
	return p->icmp_type == 3 /* destination unreachable */ ||
	       p->icmp_type == ICMP_TIME_EXCEEDED;
}

#ifndef XLB_HOOK_XDP /* rewriting a quote uses skb checksum helpers: XDP hands errors to TC */
/* Stores a field inside the ICMP payload and keeps the ICMP checksum (no pseudo-header). */
static __always_inline int icmp_payload_store(struct xlb_ctx *ctx, __u32 icmp_csum_off, __u32 off,
					      __u32 old_val, __u32 new_val, __u32 size)
{
	if (old_val == new_val)
		return 0;
	if (bpf_l4_csum_replace(ctx, icmp_csum_off, old_val, new_val, size))
		return -1;
	return bpf_skb_store_bytes(ctx, off, &new_val, size, 0);
}

struct quoted_flow {
	struct iphdr ip;
	__be16 sport;
	__be16 dport;
};

/* Returns the packet's verdict, or XLB_NO_VERDICT when the error quotes no flow of ours. */
static __noinline xlb_verdict translate_icmp_error(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	__u32 icmp_csum_off = p->l4_off + 2;
	__u32 inner = p->l4_off + 8;
	__u32 ip_end = p->l3_off + p->tot_len;
	__u32 l4csum_off, out_saddr;
	struct quoted_flow q;
	struct xlb_ct_key key;
	struct xlb_ct_entry *e;
	struct xlb_tuple t = {};
	struct bpf_fib_lookup fib;
	__u16 old_check, new_check, l4check;
	int route, in_syn;

	/* The quote must lie inside the IPv4 packet: bytes after it (Ethernet padding) are no
	 * quote, and rewriting them would break the ICMP checksum, which does not cover them. */
	if (inner + sizeof(q) > ip_end || bpf_skb_load_bytes(ctx, inner, &q, sizeof(q)))
		return XLB_NO_VERDICT;
	if (q.ip.version != 4 || q.ip.ihl != 5 ||
	    (q.ip.protocol != IPPROTO_TCP && q.ip.protocol != IPPROTO_UDP))
		return XLB_NO_VERDICT;
	/* The quoted packet went endpoint-ward; the reply entry is keyed by its reverse. */
	ip_set_v4(&key.saddr, q.ip.daddr);
	ip_set_v4(&key.daddr, q.ip.saddr);
	ct_key_init(&key, &key.saddr, &key.daddr, q.dport, q.sport, q.ip.protocol, XLB_AF_INET);
	e = ct_lookup(&key, &in_syn);
	if (!e || e->dir != XLB_DIR_REPLY)
		return XLB_NO_VERDICT;
	ct_translated(&key, e, &t); /* VIP:vport -> client:cport */

	/* From the endpoint itself it becomes from the VIP; a router on the way keeps its name. */
	out_saddr = p->saddr.w[0] == key.saddr.w[0] ? t.saddr.w[0] : p->saddr.w[0];
	ip_set_v4(&key.saddr, out_saddr); /* key is done with: the route's question */
	route = route_lookup(ctx, p, &key.saddr, &t.daddr, 0, 0, 0, &fib);
	if (route == ROUTE_NONE)
		return XLB_NO_VERDICT;

	/* Quoted packet back to what the client sent: client:cport -> VIP:vport. */
	old_check = q.ip.check;
	new_check = csum16_apply(old_check, csum_diff32(csum_diff32(0, q.ip.saddr, t.daddr.w[0]),
							q.ip.daddr, t.saddr.w[0]));
	if (icmp_payload_store(ctx, icmp_csum_off, inner + offsetof(struct iphdr, saddr),
			       q.ip.saddr, t.daddr.w[0], 4) ||
	    icmp_payload_store(ctx, icmp_csum_off, inner + offsetof(struct iphdr, daddr),
			       q.ip.daddr, t.saddr.w[0], 4) ||
	    icmp_payload_store(ctx, icmp_csum_off, inner + offsetof(struct iphdr, check), old_check,
			       new_check, 2) ||
	    icmp_payload_store(ctx, icmp_csum_off, inner + 20, q.sport, t.dport, 2) ||
	    icmp_payload_store(ctx, icmp_csum_off, inner + 22, q.dport, t.sport, 2))
		return rewrite_failed();

	/* The quoted L4 checksum, when it was quoted: pseudo-header addresses and ports. */
	l4csum_off = inner + 20 + (q.ip.protocol == IPPROTO_TCP ? 16 : 6);
	if (l4csum_off + 2 <= ip_end && !bpf_skb_load_bytes(ctx, l4csum_off, &l4check, 2) &&
	    !(q.ip.protocol == IPPROTO_UDP && l4check == 0)) {
		__u64 diff = csum_diff32(0, q.ip.saddr, t.daddr.w[0]);

		diff = csum_diff32(diff, q.ip.daddr, t.saddr.w[0]);
		diff = csum_diff16(diff, q.sport, t.dport);
		diff = csum_diff16(diff, q.dport, t.sport);
		if (icmp_payload_store(ctx, icmp_csum_off, l4csum_off, l4check,
				       csum16_apply(l4check, diff), 2))
			return rewrite_failed();
	}

	/* Outer header: ICMP has no pseudo-header, so only the IPv4 checksum follows. */
	if (bpf_l3_csum_replace(ctx, p->l3_off + offsetof(struct iphdr, check), p->saddr.w[0],
				out_saddr, 4) ||
	    bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct iphdr, saddr), &out_saddr, 4, 0) ||
	    bpf_l3_csum_replace(ctx, p->l3_off + offsetof(struct iphdr, check), p->daddr.w[0],
				t.daddr.w[0], 4) ||
	    bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct iphdr, daddr), &t.daddr.w[0], 4,
				0))
		return rewrite_failed();
	return verdict_sent(forward(ctx, p, route, &fib),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_FWD_EST));
}

/* The ICMPv6 counterpart. ICMPv6's checksum covers a pseudo-header (the outer addresses) and
 * the whole message, quote included, so every change below is summed into one diff applied to
 * it at the end. Only quotes whose IPv6 header is followed directly by TCP or UDP are
 * translated (what xlb itself sends); anything else goes to the kernel. */
static __noinline xlb_verdict translate_icmp6_error(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	struct xlb_scratch *scratch = scratch_get();
	__u32 inner = p->l4_off + 8, ip_end = p->l3_off + p->tot_len, l4csum_off;
	struct quoted_flow6 *q;
	struct xlb_ct_key *key;
	struct xlb_ct_entry *e;
	struct xlb_tuple t;
	struct xlb_ip out_saddr;
	__u64 diff = 0, l4diff;
	__u16 l4check, new_l4check;
	int route, in_syn;

	if (!p || !scratch)
		return XLB_NO_VERDICT;
	q = &scratch->icmp6.q; /* off the stack, as the FIB answer */
	key = &scratch->icmp6.key;
	if (inner + sizeof(*q) > ip_end || bpf_skb_load_bytes(ctx, inner, q, sizeof(*q)))
		return XLB_NO_VERDICT;
	if (q->ip.version != 6 || (q->ip.nexthdr != IPPROTO_TCP && q->ip.nexthdr != IPPROTO_UDP))
		return XLB_NO_VERDICT;
	/* The quoted packet went endpoint-ward; the reply entry is keyed by its reverse. */
	ct_key_init(key, (const struct xlb_ip *)&q->ip.daddr, (const struct xlb_ip *)&q->ip.saddr,
		    q->dport, q->sport, q->ip.nexthdr, XLB_AF_INET6);
	e = ct_lookup(key, &in_syn);
	if (!e || e->dir != XLB_DIR_REPLY)
		return XLB_NO_VERDICT;
	ct_translated(key, e, &t); /* VIP:vport -> client:cport */

	/* From the endpoint itself it becomes from the VIP; a router on the way keeps its name. */
	out_saddr = ip_equal(&p->saddr, &key->saddr) ? t.saddr : p->saddr;
	route = route_lookup(ctx, p, &out_saddr, &t.daddr, 0, 0, 0, &scratch->fib);
	if (route == ROUTE_NONE)
		return XLB_NO_VERDICT;

	/* Quoted packet back to what the client sent: client:cport -> VIP:vport. */
	l4diff = csum_diff_ip(csum_diff_ip(0, q->ip.saddr.in6_u.u6_addr32, t.daddr.w),
			      q->ip.daddr.in6_u.u6_addr32, t.saddr.w);
	l4diff = csum_diff16(csum_diff16(l4diff, q->sport, t.dport), q->dport, t.sport);
	diff = l4diff;
	if (bpf_skb_store_bytes(ctx, inner + offsetof(struct ipv6hdr, saddr), &t.daddr, 16, 0) ||
	    bpf_skb_store_bytes(ctx, inner + offsetof(struct ipv6hdr, daddr), &t.saddr, 16, 0) ||
	    bpf_skb_store_bytes(ctx, inner + 40, &t.dport, 2, 0) ||
	    bpf_skb_store_bytes(ctx, inner + 42, &t.sport, 2, 0))
		return rewrite_failed();
	/* The quoted L4 checksum, when it was quoted: its pseudo-header and ports changed. */
	l4csum_off = inner + 40 + (q->ip.nexthdr == IPPROTO_TCP ? 16 : 6);
	if (l4csum_off + 2 <= ip_end && !bpf_skb_load_bytes(ctx, l4csum_off, &l4check, 2)) {
		new_l4check = csum16_apply(l4check, l4diff);
		diff = csum_diff16(diff, l4check, new_l4check);
		if (bpf_skb_store_bytes(ctx, l4csum_off, &new_l4check, 2, 0))
			return rewrite_failed();
	}
	/* Outer header: the pseudo-header part of the ICMPv6 checksum. */
	diff = csum_diff_ip(csum_diff_ip(diff, p->saddr.w, out_saddr.w), p->daddr.w, t.daddr.w);
	if (bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct ipv6hdr, saddr), &out_saddr, 16,
				0) ||
	    bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct ipv6hdr, daddr), &t.daddr, 16,
				0) ||
	    bpf_l4_csum_replace(ctx, p->l4_off + 2, 0, csum_diff_wsum(diff), 0))
		return rewrite_failed();
	return verdict_sent(forward(ctx, p, route, &scratch->fib),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_FWD_EST));
}

#endif /* XLB_HOOK_XDP */

#endif

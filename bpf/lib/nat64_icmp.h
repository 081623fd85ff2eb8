/* NAT64's ICMP errors (RFC 7915 4.2): an ICMPv4 error from the IPv4 side (the endpoint, or a
 * router between: Fragmentation Needed above all) about a tracked NAT64 flow becomes an ICMPv6
 * error to the IPv6 client, from the VIP (a router's IPv4 address has no IPv6 name), quoting
 * the packet the client sent: Packet Too Big with the MTU + 20 (at least 1280), Destination
 * Unreachable with its code mapped, Time Exceeded. The frame grows by 40 bytes (the outer and
 * the quoted header, 20 each); the ICMPv6 checksum is the ICMPv4 one updated for every part
 * that changed plus the pseudo-header ICMPv4 lacks, so the quoted payload is never summed.
 * Errors that cannot be translated (unmapped codes, IPv4 options, a result over 1280 bytes)
 * go to the kernel untouched. */
#ifndef XLB_BPF_NAT64_ICMP_H
#define XLB_BPF_NAT64_ICMP_H

#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/fwd.h"
#include "lib/nat64.h"
#include "lib/parse.h"
#include "lib/verdict.h"

#define XLB_ICMP4_DEST_UNREACH 3
#define XLB_ICMP4_TIME_EXCEEDED 11
#define XLB_IPV6_MIN_MTU 1280
/* The ICMPv6 error grows by this much: a 40-byte IPv6 header instead of 20, twice. */
#define XLB_NAT64_ICMP_GROWTH 40

#ifndef XLB_HOOK_XDP /* XDP hands every ICMP error to TC (entry.h) */

/* The ICMPv6 header and quoted IPv6 header follow the pseudo-header in memory, so one
 * bpf_csum_diff sums all three. */
struct nat64_icmp6_block {
	struct xlb_ipv6_pseudo pseudo;
	__u8 type;
	__u8 code;
	__sum16 check;
	__be32 info; /* Packet Too Big: the MTU; Parameter Problem: the pointer */
	struct ipv6hdr quote;
};

struct nat64_icmp_scratch {
	struct ipv6hdr outer;
	struct nat64_icmp6_block b;
	struct {
		struct icmphdr icmp;
		struct iphdr ip;
	} old;
	struct bpf_fib_lookup fib;
	struct xlb_tuple t;
	struct xlb_ct_key key; /* the quote's reply entry, from nat64_icmp_defer */
};

/* Per CPU, off the 512-byte stack (this runs below translate_icmp_error's frame); not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct nat64_icmp_scratch);
	__uint(max_entries, 1);
} xlb_nat64_icmp_scratch SEC(".maps");

/* Adds a 16-byte address to a checksum diff (its IPv4 predecessor was subtracted alone). */
static __always_inline __u64 nat64_sum_ip(__u64 diff, const __u32 *w)
{
	return diff + w[0] + w[1] + w[2] + w[3];
}

/* RFC 7915 4.2's mapping of an ICMPv4 error into b's type, code and info; 0 if it has none
 * (the kernel gets the original). */
static __always_inline int nat64_icmp_map(const struct icmphdr *icmp, struct nat64_icmp6_block *b)
{
	__u32 mtu;

	b->info = 0;
	if (icmp->type == XLB_ICMP4_TIME_EXCEEDED) {
		b->type = ICMPV6_TIME_EXCEED;
		b->code = icmp->code;
		return icmp->code <= 1;
	}
	if (icmp->type != XLB_ICMP4_DEST_UNREACH)
		return 0;
	b->type = ICMPV6_DEST_UNREACH;
	switch (icmp->code) {
	case 0: /* net, host unreachable; source route failed; unknown net or host; isolated */
	case 1:
	case 5:
	case 6:
	case 7:
	case 8:
	case 11:
	case 12:
		b->code = 0; /* no route to destination */
		return 1;
	case 9: /* administratively prohibited (net, host, communication) */
	case 10:
	case 13:
		b->code = 1;
		return 1;
	case 2: /* protocol unreachable: Parameter Problem at the Next Header field */
		b->type = ICMPV6_PARAMPROB;
		b->code = 1;
		b->info = bpf_htonl(offsetof(struct ipv6hdr, nexthdr));
		return 1;
	case 3:
		b->code = 4; /* port unreachable */
		return 1;
	case 4: /* fragmentation needed: the IPv6 packet may be 20 bytes longer */
		mtu = bpf_ntohs(icmp->sequence) + sizeof(struct ipv6hdr) - sizeof(struct iphdr);
		b->type = ICMPV6_PKT_TOOBIG;
		b->code = 0;
		b->info = bpf_htonl(mtu < XLB_IPV6_MIN_MTU ? XLB_IPV6_MIN_MTU : mtu);
		return 1;
	}
	return 0;
}

/* translate_icmp_error found that the error quotes a NAT64 flow (its reply entry keyed `key`):
 * it returns this, and the entry point calls nat64_icmp_error, whose frame would not fit on the
 * 512-byte stack below translate_icmp_error's. */
#define XLB_NAT64_ICMP_DEFERRED (XLB_NO_VERDICT - 1)

static __always_inline xlb_verdict nat64_icmp_defer(const struct xlb_ct_key *key)
{
	__u32 zero = 0;
	struct nat64_icmp_scratch *s = bpf_map_lookup_elem(&xlb_nat64_icmp_scratch, &zero);

	if (!s)
		return XLB_NO_VERDICT;
	s->key = *key;
	return XLB_NAT64_ICMP_DEFERRED;
}

/* The ICMPv4 error p quotes a packet of the NAT64 flow whose reply entry nat64_icmp_defer
 * saved the key of (the quote's reverse). Returns the verdict, or XLB_NO_VERDICT to leave it
 * to the kernel. Sets p->nat64: the route and the redirect are IPv6's. */
__noinline xlb_verdict nat64_icmp_error(struct __sk_buff *skb, struct xlb_pkt *p)
{
	__u32 zero = 0, qtot, l4check_off, inner, qproto;
	struct nat64_icmp_scratch *s = bpf_map_lookup_elem(&xlb_nat64_icmp_scratch, &zero);
	__be16 qports[2], l4check, new_l4check;
	__u64 l4diff, quote_diff;
	struct nat64_icmp6_block *b;
	struct xlb_ct_entry *e;
	struct xlb_ct_key *key;
	struct xlb_tuple *t;
	__s64 sum;
	int route, in_syn;

	if (!p || !s)
		return XLB_NO_VERDICT;
	b = &s->b;
	t = &s->t;
	key = &s->key;
	e = ct_lookup(key, &in_syn);
	if (!e || e->dir != XLB_DIR_REPLY || e->nat_family != XLB_AF_INET6)
		return XLB_NO_VERDICT;
	inner = p->l4_off + sizeof(struct icmphdr);
	if (p->l4_off != p->l3_off + sizeof(struct iphdr) ||
	    p->tot_len + XLB_NAT64_ICMP_GROWTH > XLB_IPV6_MIN_MTU ||
	    inner + sizeof(struct iphdr) + sizeof(qports) > p->l3_off + p->tot_len)
		return XLB_NO_VERDICT;
	if (bpf_skb_load_bytes(skb, p->l4_off, &s->old, sizeof(s->old)) ||
	    bpf_skb_load_bytes(skb, inner + sizeof(struct iphdr), qports, sizeof(qports)))
		return XLB_NO_VERDICT;
	if (!nat64_icmp_map(&s->old.icmp, b))
		return XLB_NO_VERDICT;
	qproto = s->old.ip.protocol;
	qtot = bpf_ntohs(s->old.ip.tot_len);
	if (qtot < sizeof(struct iphdr))
		return XLB_NO_VERDICT;
	ct_translated(key, e, t); /* VIP:vport -> client:cport */

	p->nat64 = 1;
	route = route_lookup(skb, p, &t->saddr, &t->daddr, 0, 0, 0, &s->fib);
	if (route == ROUTE_NONE) {
		p->nat64 = 0;
		return XLB_NO_VERDICT;
	}

	/* The outer IPv6 header: VIP -> client, hop limit TTL - 1 (forwarded). */
	__builtin_memset(&s->outer, 0, sizeof(s->outer));
	*(__be32 *)&s->outer = bpf_htonl(0x60000000 | ((__u32)p->tos << 20));
	s->outer.payload_len = bpf_htons(p->tot_len + XLB_NAT64_ICMP_GROWTH - sizeof(s->outer));
	s->outer.nexthdr = IPPROTO_ICMPV6;
	s->outer.hop_limit = p->ttl - 1;
	__builtin_memcpy(&s->outer.saddr, &t->saddr, 16);
	__builtin_memcpy(&s->outer.daddr, &t->daddr, 16);
	__builtin_memcpy(b->pseudo.src, &t->saddr, 16);
	__builtin_memcpy(b->pseudo.dst, &t->daddr, 16);
	b->pseudo.len = bpf_htonl(bpf_ntohs(s->outer.payload_len));
	b->pseudo.next = bpf_htonl(IPPROTO_ICMPV6);
	b->check = 0;
	/* The quote: what the client sent, client:cport -> VIP:vport. */
	__builtin_memset(&b->quote, 0, sizeof(b->quote));
	*(__be32 *)&b->quote = bpf_htonl(0x60000000 | ((__u32)s->old.ip.tos << 20));
	b->quote.payload_len = bpf_htons(qtot - sizeof(struct iphdr));
	b->quote.nexthdr = qproto;
	b->quote.hop_limit = s->old.ip.ttl;
	__builtin_memcpy(&b->quote.saddr, &t->daddr, 16);
	__builtin_memcpy(&b->quote.daddr, &t->saddr, 16);

	/* The quoted ports, and its L4 checksum when quoted: pseudo-header and ports changed. */
	l4diff = nat64_sum_ip((__u64)(__u32)~s->old.ip.saddr + (__u32)~s->old.ip.daddr, t->daddr.w);
	l4diff = nat64_sum_ip(l4diff, t->saddr.w);
	l4diff = csum_diff16(csum_diff16(l4diff, qports[0], t->dport), qports[1], t->sport);
	quote_diff = csum_diff16(csum_diff16(0, qports[0], t->dport), qports[1], t->sport);
	l4check_off = inner + sizeof(struct iphdr) + (qproto == IPPROTO_TCP ? 16 : 6);
	new_l4check = 0;
	if ((qproto == IPPROTO_TCP || qproto == IPPROTO_UDP) &&
	    l4check_off + 2 <= p->l3_off + p->tot_len &&
	    !bpf_skb_load_bytes(skb, l4check_off, &l4check, 2) &&
	    !(qproto == IPPROTO_UDP && l4check == 0)) {
		new_l4check = csum16_apply(l4check, l4diff);
		quote_diff = csum_diff16(quote_diff, l4check, new_l4check);
	} else {
		l4check_off = 0;
	}

	/* ICMPv6 checksum = the ICMPv4 one without the ICMP and quoted IPv4 headers, with the
	 * pseudo-header, ICMPv6 header, quoted IPv6 header and the quote's new fields. */
	l4check = s->old.icmp.checksum;
	s->old.icmp.checksum = 0;
	sum = bpf_csum_diff((__be32 *)&s->old, sizeof(s->old), (__be32 *)b, sizeof(*b),
			    (__u16)~l4check);
	if (sum < 0)
		return XLB_NO_VERDICT;
	b->check = csum_fold32(csum_diff_wsum((__u64)(__u32)sum + quote_diff));

	/* The frame: 20 more bytes at the network header (IPv6's), 20 after it (the quote's). */
	if ((p->vlan && bpf_skb_vlan_pop(skb)) ||
	    bpf_skb_change_proto(skb, bpf_htons(ETH_P_IPV6), 0) ||
	    bpf_skb_adjust_room(skb, XLB_NAT64_ICMP_GROWTH / 2, BPF_ADJ_ROOM_NET, 0))
		return rewrite_failed();
	{
		__be16 proto6 = bpf_htons(ETH_P_IPV6);
		__u32 quote_l4 = ETH_HLEN + 2 * sizeof(struct ipv6hdr) + sizeof(struct icmphdr);

		if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &proto6, 2, 0) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN, &s->outer, sizeof(s->outer), 0) ||
		    bpf_skb_store_bytes(skb, ETH_HLEN + sizeof(s->outer), &b->type,
					sizeof(*b) - sizeof(b->pseudo), 0) ||
		    bpf_skb_store_bytes(skb, quote_l4, &t->dport, 2, 0) ||
		    bpf_skb_store_bytes(skb, quote_l4 + 2, &t->sport, 2, 0))
			return rewrite_failed();
		if (l4check_off &&
		    bpf_skb_store_bytes(skb, quote_l4 + (qproto == IPPROTO_TCP ? 16 : 6),
					&new_l4check, 2, 0))
			return rewrite_failed();
	}
	return verdict_sent(redirect_route(skb, p, route, &s->fib),
			    verdict(TC_ACT_REDIRECT, XLB_STAT_FWD_EST));
}

#endif /* XLB_HOOK_XDP */

#endif

/* Direct server return: the request reaches the endpoint with IP and L4 untouched.
 * L2: only MACs change (endpoint on a directly connected subnet).
 * IPIP: the packet is tunnelled to the endpoint (routed endpoint, or forced by the rule), in
 * IPv4-in-IPv4 or IPv6-in-IPv6 (next header 41) after its family; a packet too big once
 * tunnelled is answered with ICMP "fragmentation needed" or ICMPv6 "packet too big". */
#ifndef XLB_BPF_DSR_H
#define XLB_BPF_DSR_H

#include "xlb/abi/service.h"

#include "lib/csum.h"
#include "lib/fwd.h"
#include "lib/parse.h"
#include "lib/scratch.h"
#include "lib/verdict.h"

#define XLB_IPIP_HLEN 20
#define XLB_IP6IP6_HLEN 40
#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif
#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

/* L2-DSR goes only to an endpoint that is its own next hop, i.e. on a connected subnet. */
static __always_inline int dsr_needs_tunnel(const struct xlb_svc *svc, const struct xlb_ip *ep_addr,
					    const struct bpf_fib_lookup *fib)
{
	return (svc->flags & XLB_SVC_F_DSR_IPIP) || !ip_equal(fib_dst(fib), ep_addr);
}

#ifndef XLB_HOOK_XDP /* answering "too big" rebuilds the frame: TC only */
struct xlb_icmp_frag_reply {
	struct iphdr ip;
	struct icmphdr icmp;		      /* id/sequence hold "unused" and the next-hop MTU */
	__u8 quote[sizeof(struct iphdr) + 8]; /* the offending header + 8 bytes, as RFC 792 asks */
};

/* Rewrites the packet into ICMP "fragmentation needed" from the VIP to the client and sends it
 * back out of the interface it came in on. Only option-less IPv4 headers are quoted. */
static __always_inline xlb_verdict send_frag_needed(struct xlb_ctx *ctx, const struct xlb_pkt *p,
						    __u32 mtu)
{
	struct xlb_icmp_frag_reply r = {};
	__u8 macs[2 * ETH_ALEN], swapped[2 * ETH_ALEN];
	__u32 l3 = ETH_HLEN; /* VLAN already stripped by the caller */

	/* The quote below has no room for IP options: such a packet is dropped, and counted. */
	if (p->l4_off - p->l3_off != sizeof(struct iphdr))
		return rewrite_failed();
	if (bpf_skb_load_bytes(ctx, l3, r.quote, sizeof(r.quote)) ||
	    bpf_skb_load_bytes(ctx, 0, macs, sizeof(macs)))
		return rewrite_failed();
	if (bpf_skb_change_tail(ctx, l3 + sizeof(r), 0))
		return rewrite_failed();

	r.ip.version = 4;
	r.ip.ihl = 5;
	r.ip.tot_len = bpf_htons(sizeof(r));
	r.ip.ttl = 64;
	r.ip.protocol = IPPROTO_ICMP;
	r.ip.saddr = p->daddr.w[0];
	r.ip.daddr = p->saddr.w[0];
	r.ip.check = csum_buffer(&r.ip, sizeof(r.ip));
	r.icmp.type = ICMP_DEST_UNREACH;
	r.icmp.code = ICMP_FRAG_NEEDED;
	r.icmp.sequence = bpf_htons(mtu - XLB_IPIP_HLEN);
	r.icmp.checksum = csum_buffer(&r.icmp, sizeof(r.icmp) + sizeof(r.quote));

	__builtin_memcpy(swapped, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, macs, ETH_ALEN);
	if (bpf_skb_store_bytes(ctx, 0, swapped, sizeof(swapped), 0) ||
	    bpf_skb_store_bytes(ctx, l3, &r, sizeof(r), 0))
		return rewrite_failed();
	return verdict_sent(ctx_redirect(ctx, ctx_ifindex(ctx)),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_ICMP_FRAG_NEEDED));
}

/* RFC 4443 2.4(c): an ICMPv6 error quotes as much of the packet as fits in the minimum IPv6
 * MTU (1280) with its IPv6 and ICMPv6 headers. */
#define XLB_PTB6_QUOTE (1280 - 40 - 8)

/* Sums the quote (XLB_PTB6_QUOTE bytes at off) into csum: bpf_csum_diff takes at most 512. */
static __always_inline __s64 ptb6_quote_sum(struct xlb_ctx *ctx, __u32 off)
{
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u8 *q = data + off;
	__s64 sum;

	if (off != ETH_HLEN + 48 || (void *)(q + XLB_PTB6_QUOTE) > data_end)
		return -1;
	sum = bpf_csum_diff(0, 0, (__be32 *)q, 512, 0);
	if (sum < 0)
		return sum;
	sum = bpf_csum_diff(0, 0, (__be32 *)(q + 512), 512, sum);
	if (sum < 0)
		return sum;
	return bpf_csum_diff(0, 0, (__be32 *)(q + 1024), XLB_PTB6_QUOTE - 1024, sum);
}

/* IPv6's "fragmentation needed": turns the packet into an ICMPv6 Packet Too Big from the VIP to
 * the client (RFC 4443 3.2), quoting its first XLB_PTB6_QUOTE bytes, and sends it back out of
 * the interface it came in on (VLAN already stripped by the caller). A packet too big for a
 * 1280-byte link is always longer than the quote. */
static __noinline xlb_verdict send_pkt_too_big6(struct xlb_ctx *ctx, const struct xlb_pkt *p,
						__u32 mtu)
{
	struct xlb_scratch *scratch = scratch_get();
	struct xlb_ptb6 *h;
	struct ipv6hdr *ip6;
	__u8 *macs, *swapped;
	__u32 l3 = ETH_HLEN;
	__s64 sum;

	/* Off the stack: this runs below follow_flow's frame. */
	if (!p || !scratch || p->tot_len < XLB_PTB6_QUOTE)
		return rewrite_failed();
	h = &scratch->ptb6.h;
	ip6 = &scratch->ptb6.ip6;
	macs = scratch->ptb6.macs;
	swapped = scratch->ptb6.swapped;
	__builtin_memset(h, 0, sizeof(*h));
	__builtin_memset(ip6, 0, sizeof(*ip6));
	if (bpf_skb_load_bytes(ctx, 0, macs, 2 * ETH_ALEN))
		return rewrite_failed();
	/* Cut the packet to the quote, open room for the new headers in front of it. */
	if (bpf_skb_change_tail(ctx, l3 + XLB_PTB6_QUOTE, 0) ||
	    bpf_skb_adjust_room(ctx, sizeof(*ip6) + 8, BPF_ADJ_ROOM_MAC, 0) ||
	    bpf_skb_pull_data(ctx, l3 + sizeof(*ip6) + 8 + XLB_PTB6_QUOTE))
		return rewrite_failed();
	sum = ptb6_quote_sum(ctx, l3 + sizeof(*ip6) + 8);
	if (sum < 0)
		return rewrite_failed();

	__builtin_memcpy(h->pseudo.src, &p->daddr, sizeof(h->pseudo.src));
	__builtin_memcpy(h->pseudo.dst, &p->saddr, sizeof(h->pseudo.dst));
	h->pseudo.len = bpf_htonl(8 + XLB_PTB6_QUOTE);
	h->pseudo.next = bpf_htonl(IPPROTO_ICMPV6);
	h->type = ICMPV6_PKT_TOOBIG;
	h->mtu = bpf_htonl(mtu - XLB_IP6IP6_HLEN);
	h->checksum = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)h, sizeof(*h), sum));

	ip6->version = 6;
	ip6->payload_len = bpf_htons(8 + XLB_PTB6_QUOTE);
	ip6->nexthdr = IPPROTO_ICMPV6;
	ip6->hop_limit = 64;
	__builtin_memcpy(&ip6->saddr, &p->daddr, sizeof(p->daddr));
	__builtin_memcpy(&ip6->daddr, &p->saddr, sizeof(p->saddr));
	__builtin_memcpy(swapped, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, macs, ETH_ALEN);
	if (bpf_skb_store_bytes(ctx, 0, swapped, 2 * ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(ctx, l3, ip6, sizeof(*ip6), 0) ||
	    bpf_skb_store_bytes(ctx, l3 + sizeof(*ip6), &h->type, 8, 0))
		return rewrite_failed();
	return verdict_sent(ctx_redirect(ctx, ctx_ifindex(ctx)),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_ICMP_FRAG_NEEDED));
}

#endif

/* Prepends an outer IPv6 header (outer_src -> ep, next header 41: IPv6-in-IPv6, RFC 2473) in
 * front of the packet's IPv6 header. */
static __always_inline int ip6ip6_encap(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					const struct xlb_ip *outer_src,
					const struct xlb_ip *outer_dst)
{
	struct ipv6hdr outer = {};

	outer.version = 6;
	outer.priority = p->tos >> 4;
	outer.flow_lbl[0] = (p->tos & 0xf) << 4;
	outer.payload_len = bpf_htons(p->tot_len);
	outer.nexthdr = IPPROTO_IPV6;
	outer.hop_limit = 64;
	__builtin_memcpy(&outer.saddr, outer_src, sizeof(outer.saddr));
	__builtin_memcpy(&outer.daddr, outer_dst, sizeof(outer.daddr));

	if (ctx_open_after_eth(ctx, XLB_IP6IP6_HLEN, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6))
		return -1;
	return ctx_store_bytes(ctx, ETH_HLEN, &outer, sizeof(outer));
}

/* Prepends an outer IPv4 header (outer_src -> ep) in front of the packet's IPv4 header. */
static __always_inline int ipip_encap(struct xlb_ctx *ctx, const struct xlb_pkt *p, __u32 outer_src,
				      __u32 outer_dst)
{
	struct iphdr outer = {};
	__u16 inner_frag_off;

	if (ctx_load_bytes(ctx, ETH_HLEN + offsetof(struct iphdr, frag_off), &inner_frag_off, 2))
		return -1;
	outer.version = 4;
	outer.ihl = 5;
	outer.tos = p->tos;
	outer.tot_len = bpf_htons(p->tot_len + XLB_IPIP_HLEN);
	outer.frag_off = inner_frag_off & bpf_htons(0x4000); /* keep DF so PMTU discovery works */
	outer.ttl = 64;
	outer.protocol = IPPROTO_IPIP;
	outer.saddr = outer_src;
	outer.daddr = outer_dst;
	outer.check = csum_buffer(&outer, sizeof(outer));

	if (ctx_open_after_eth(ctx, XLB_IPIP_HLEN, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4))
		return -1;
	return ctx_store_bytes(ctx, ETH_HLEN, &outer, sizeof(outer));
}

/* A tunnelled DSR packet must fit the egress MTU with the outer header added. Strips an in-band
 * VLAN tag (the tunnel leaves untagged), then checks. Returns XLB_NO_VERDICT when the packet
 * fits; else the packet has been answered with ICMP "fragmentation needed" (or dropped) and its
 * verdict is returned. Called before its flow is created or advanced: an answered packet never
 * reached the endpoint and counts once, as icmp_frag_needed. */
static __always_inline xlb_verdict dsr_refuse_too_big(struct xlb_ctx *ctx, const struct xlb_pkt *p,
						      const struct bpf_fib_lookup *fib)
{
	__u32 mtu = 0, hlen = pkt_is_v6(p) ? XLB_IP6IP6_HLEN : XLB_IPIP_HLEN;

#ifdef XLB_HOOK_XDP
	/* No GSO before XDP; a frame too big is answered by TC (VLAN frames never get here). */
	if (bpf_check_mtu(ctx, fib->ifindex, &mtu, hlen, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return verdict_to_skb();
	return XLB_NO_VERDICT;
#else
	if (p->vlan || ctx_vlan_accel(ctx)) {
		if (bpf_skb_vlan_pop(ctx))
			return rewrite_failed();
	}
	if (bpf_check_mtu(ctx, fib->ifindex, &mtu, hlen, 0) != BPF_MTU_CHK_RET_SUCCESS ||
	    /* A GSO super-packet passes the check above; its segments must fit once tunnelled
	     * too. */
	    (ctx->gso_size && ctx->gso_size + (p->l4_off - p->l3_off) + p->l4_hlen + hlen > mtu))
		return pkt_is_v6(p) ? send_pkt_too_big6(ctx, p, mtu)
				    : send_frag_needed(ctx, p, mtu);
	return XLB_NO_VERDICT;
#endif
}

/* Sends a DSR packet toward its endpoint along `fib` (looked up with BPF_FIB_LOOKUP_SRC); `sent`
 * is its verdict if it leaves, marked with the path taken (the per-endpoint L2/IPIP counters).
 * A tunnelled packet has passed dsr_refuse_too_big. */
static __always_inline xlb_verdict dsr_forward(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					       int tunnel, const struct xlb_ip *ep_addr, int route,
					       const struct bpf_fib_lookup *fib, xlb_verdict sent)
{
	/* L2: IP and L4 untouched; IPIP: an outer header first. */
	if (tunnel && (pkt_is_v6(p) ? ip6ip6_encap(ctx, p, fib_src(fib), ep_addr)
				    : ipip_encap(ctx, p, fib->ipv4_src, ep_addr->w[0])))
		return rewrite_failed();
	return verdict_sent(redirect_route(ctx, p, route, fib),
			    verdict_with(sent, tunnel ? XLB_VF_DSR_IPIP : XLB_VF_DSR_L2));
}

#endif

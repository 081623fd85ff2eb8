/* NAT64 (RFC 7915) for FullNAT flows from an IPv6 VIP to IPv4 endpoints: the packet changes
 * family on its way through. Toward the endpoint IPv6 becomes IPv4, back to the client IPv4
 * becomes IPv6; bpf_skb_change_proto makes room (20 bytes less or more right after the MAC
 * header), the IP header is rebuilt whole, and the L4 checksum follows its new pseudo-header
 * incrementally (the upper-layer length and protocol sum alike in both pseudo-headers, so
 * only the addresses and ports change it). TC only (struct __sk_buff): XDP hands these flows
 * to TC. A packet that cannot be translated (IPv6 extension headers, IPv4 options, a UDP
 * datagram without checksum from the IPv4 side) is dropped before anything is written. */
#ifndef XLB_BPF_NAT64_H
#define XLB_BPF_NAT64_H

#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/fwd.h"
#include "lib/nat.h"
#include "lib/parse.h"
#include "lib/verdict.h"

#define XLB_IPV4_DF 0x4000

/* Whether a new FullNAT flow of packet p to endpoint ep translates families. */
static __always_inline __u8 nat64_endpoint(const struct xlb_pkt *p, const struct xlb_endpoint *ep)
{
	return pkt_is_v6(p) && ep->family == XLB_AF_INET;
}

/* The family a new flow's orig entry translates to (its reply entry's: xlb_ct_reply_entry); 0 for
 * every flow that keeps its family. */
static __always_inline __u8 nat64_orig_family(const struct xlb_pkt *p)
{
	return p->nat64 ? pkt_out_family(p) : 0;
}

#ifdef XLB_HOOK_XDP
/* XDP leaves a NAT64 flow's packets to TC: changing the family takes skb helpers. */
#define NAT64_OR_RETURN(ctx, p) return verdict_to_skb()
#else
/* Whether p, a NAT64 flow's packet, can be translated: IPv6 without extension headers, IPv4
 * without options, and over IPv4 no UDP datagram without checksum (IPv6 has none: computing one
 * would take the whole payload). Checked before any write, PPv2's included. Global: verified
 * once (it checks its pointer itself). */
__noinline int nat64_translatable(struct __sk_buff *skb, const struct xlb_pkt *p)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct udphdr *uh;

	if (!p)
		return 0;
	if (p->l4_off != p->l3_off + (pkt_is_v6(p) ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)))
		return 0;
	if (pkt_is_v6(p) || p->proto != IPPROTO_UDP)
		return 1;
	if (p->l4_off > XLB_L4_OFF_MAX)
		return 0;
	uh = data + p->l4_off;
	return (void *)(uh + 1) <= data_end && uh->check != 0;
}

/* For a NAT64 flow's packet: returns from the caller unless it can be translated. */
#define NAT64_OR_RETURN(ctx, p)                                                                    \
	do {                                                                                       \
		if (!nat64_translatable(ctx, p))                                                   \
			return rewrite_failed();                                                   \
	} while (0)

/* Ports and L4 checksum of the rebuilt packet, whose L4 header starts at l4_off: the
 * pseudo-header's addresses change from p's to t's (IPv4 addresses are xlb_ips whose other
 * words are zero, so one diff covers both families), the ports from p's to t's. */
static __always_inline int nat64_l4_rewrite(struct __sk_buff *skb, const struct xlb_pkt *p,
					    const struct xlb_tuple *t, __u32 l4_off)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	__u32 csum_off = l4_off + (p->proto == IPPROTO_TCP ? offsetof(struct tcphdr, check)
							   : offsetof(struct udphdr, check));
	__u64 flags = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u64 addr_diff, port_diff;
	__be16 *ports;

	if (l4_off > XLB_L4_OFF_MAX)
		return -1;
	ports = data + l4_off;
	if ((void *)(ports + 2) > data_end)
		return -1;
	ports[0] = t->sport;
	ports[1] = t->dport;
	addr_diff = csum_diff_ip(csum_diff_ip(0, p->saddr.w, t->saddr.w), p->daddr.w, t->daddr.w);
	port_diff = csum_diff16(csum_diff16(0, p->sport, t->sport), p->dport, t->dport);
	if (bpf_l4_csum_replace(skb, csum_off, 0, csum_diff_wsum(addr_diff),
				flags | BPF_F_PSEUDO_HDR))
		return -1;
	return bpf_l4_csum_replace(skb, csum_off, 0, csum_diff_wsum(port_diff), flags);
}

/* Before the rewrite: the packet must be translatable, and an in-band 802.1Q tag goes first, so
 * the IP header starts right after the MAC header, where bpf_skb_change_proto opens or closes
 * its room (the egress is an L3 route's device anyway). */
static __always_inline int nat64_begin(struct __sk_buff *skb, const struct xlb_pkt *p,
				       const struct xlb_tuple *t)
{
	if (!p || !t || !nat64_translatable(skb, p))
		return -1;
	return p->vlan ? (int)bpf_skb_vlan_pop(skb) : 0;
}

/* The IP header right after the MAC header, `len` bytes of it in the linear area, or NULL. */
static __always_inline void *nat64_l3(struct __sk_buff *skb, __u32 len)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;

	if (data + ETH_HLEN + len > data_end)
		return NULL;
	return data + ETH_HLEN;
}

/* Makes the frame one of `eth_proto` (20 bytes less or more after the MAC header) and returns
 * its new IP header, `len` bytes of it, for the caller to fill; NULL on failure. */
static __always_inline void *nat64_switch_family(struct __sk_buff *skb, __u16 eth_proto, __u32 len)
{
	struct ethhdr *eth;

	if (bpf_skb_change_proto(skb, bpf_htons(eth_proto), 0))
		return NULL;
	eth = nat64_l3(skb, len);
	if (!eth)
		return NULL;
	eth = (void *)eth - ETH_HLEN;
	eth->h_proto = bpf_htons(eth_proto);
	return (void *)(eth + 1);
}

/* Client -> endpoint: IPv6 becomes IPv4 (RFC 7915 5.1): TOS = traffic class, TTL = hop
 * limit - 1 (forwarded), DF set, identification 0, the addresses and ports of t. */
static __noinline int nat64_to_v4(struct __sk_buff *skb, const struct xlb_pkt *p,
				  const struct xlb_tuple *t)
{
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u32 payload_len, sum = 0;
	__u8 tclass, hops;

	if (nat64_begin(skb, p, t))
		return -1;
	ip6h = nat64_l3(skb, sizeof(*ip6h));
	if (!ip6h)
		return -1;
	/* Read now: PPv2 may have grown the payload since parsing. */
	payload_len = bpf_ntohs(ip6h->payload_len);
	tclass = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	hops = ip6h->hop_limit;
	iph = nat64_switch_family(skb, ETH_P_IP, sizeof(*iph));
	if (!iph)
		return -1;
	*(__be16 *)iph = bpf_htons(0x4500 | tclass); /* version 4, IHL 5, TOS */
	iph->tot_len = bpf_htons(sizeof(*iph) + payload_len);
	iph->id = 0;
	iph->frag_off = bpf_htons(XLB_IPV4_DF);
	iph->ttl = hops - 1;
	iph->protocol = p->proto;
	iph->check = 0;
	iph->saddr = t->saddr.w[0];
	iph->daddr = t->daddr.w[0];
#pragma unroll
	for (int i = 0; i < 5; i++)
		sum += ((__u32 *)iph)[i] >> 16, sum += ((__u32 *)iph)[i] & 0xffff;
	iph->check = csum_fold32(sum);
	return nat64_l4_rewrite(skb, p, t, ETH_HLEN + sizeof(*iph));
}

/* Endpoint -> client: IPv4 becomes IPv6 (RFC 7915 4.1): traffic class = TOS, flow label 0,
 * hop limit = TTL - 1, the addresses and ports of t. */
static __noinline int nat64_to_v6(struct __sk_buff *skb, const struct xlb_pkt *p,
				  const struct xlb_tuple *t)
{
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u32 tot_len;
	__u8 tos, ttl;

	if (nat64_begin(skb, p, t))
		return -1;
	iph = nat64_l3(skb, sizeof(*iph));
	if (!iph)
		return -1;
	tot_len = bpf_ntohs(iph->tot_len);
	tos = iph->tos;
	ttl = iph->ttl;
	if (tot_len < sizeof(*iph))
		return -1;
	ip6h = nat64_switch_family(skb, ETH_P_IPV6, sizeof(*ip6h));
	if (!ip6h)
		return -1;
	*(__be32 *)ip6h = bpf_htonl(0x60000000 | ((__u32)tos << 20)); /* version, class, label 0 */
	ip6h->payload_len = bpf_htons(tot_len - sizeof(struct iphdr));
	ip6h->nexthdr = p->proto;
	ip6h->hop_limit = ttl - 1;
	__builtin_memcpy(&ip6h->saddr, &t->saddr, sizeof(t->saddr));
	__builtin_memcpy(&ip6h->daddr, &t->daddr, sizeof(t->daddr));
	return nat64_l4_rewrite(skb, p, t, ETH_HLEN + sizeof(*ip6h));
}

/* translate_and_forward for a NAT64 flow's packet: translate to tuple t in the other family
 * (TTL / hop limit decremented there), then out along the route looked up for it. Returns the
 * redirect's TC action, or -1 if the packet could not be translated. Global, not static: the
 * verifier checks it once rather than once per caller's state (as follow_flow), so it checks
 * its pointer arguments itself. */
__noinline int nat64_translate_and_redirect(struct __sk_buff *skb, const struct xlb_pkt *p,
					    const struct xlb_tuple *t, int route,
					    const struct bpf_fib_lookup *fib)
{
	if (!p || !t || !fib)
		return -1;
	if (pkt_is_v6(p) ? nat64_to_v4(skb, p, t) : nat64_to_v6(skb, p, t))
		return -1;
	return redirect_route(skb, p, route, fib);
}

#endif /* XLB_HOOK_XDP */

#endif

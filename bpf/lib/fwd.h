/* Forwarding after a rewrite: route with bpf_fib_lookup, then redirect out of the egress device.
 * The route is looked up BEFORE the packet is touched, so an unknown route hands the original
 * packet to the kernel instead of dropping it. */
#ifndef XLB_BPF_FWD_H
#define XLB_BPF_FWD_H

#include "lib/nat.h"
#include "lib/parse.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

enum route_result {
	ROUTE_OK,	/* egress and both MACs known */
	ROUTE_NO_NEIGH, /* egress known, neighbour unresolved: the kernel resolves it */
	ROUTE_NONE,	/* no usable route: leave the packet to the kernel */
};

/* The question for bpf_fib_lookup: the packet's flow as it will leave (saddr, daddr, ports),
 * arriving on ctx's interface. The addresses are copied whole whatever the family: ipv4_src
 * is ipv6_src[0], and an IPv4 xlb_ip's other words are zero, so one path serves both (and the
 * answer's source and next hop read back the same way). */
static __always_inline void route_query_init(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					     const struct xlb_ip *saddr, const struct xlb_ip *daddr,
					     __u16 sport, __u16 dport, struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = pkt_is_v6(p) ? AF_INET6 : AF_INET;
	if (!pkt_is_v6(p))
		fib->tos = p->tos; /* IPv6 leaves flowinfo 0: no flow label routing */
	fib->l4_protocol = p->proto;
	fib->sport = sport;
	fib->dport = dport;
	/* tot_len 0 skips the FIB's MTU check: GSO super-packets are larger than the MTU and are
	 * segmented by the egress device; tunnelling checks its MTU itself (dsr.h). */
	fib->tot_len = 0;
	__builtin_memcpy(fib->ipv6_src, saddr, sizeof(*saddr));
	__builtin_memcpy(fib->ipv6_dst, daddr, sizeof(*daddr));
	fib->ifindex = ctx_ifindex(ctx);
}

/* The lookup's addresses as xlb_ip: before the lookup the question's source and destination;
 * after it the source the kernel chose (BPF_FIB_LOOKUP_SRC) and the next hop. */
static __always_inline const struct xlb_ip *fib_src(const struct bpf_fib_lookup *fib)
{
	return (const struct xlb_ip *)fib->ipv6_src;
}

static __always_inline const struct xlb_ip *fib_dst(const struct bpf_fib_lookup *fib)
{
	return (const struct xlb_ip *)fib->ipv6_dst;
}

/* Asks the kernel's FIB; fib holds the question (route_query_init) and receives the answer. */
static __always_inline int route_query(struct xlb_ctx *ctx, struct bpf_fib_lookup *fib, __u32 flags)
{
	long rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), flags);

	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		return ROUTE_OK;
	/* XDP cannot resolve a neighbour (no bpf_redirect_neigh): TC does. */
	if (rc == BPF_FIB_LKUP_RET_NO_NEIGH && !XLB_IS_XDP)
		return ROUTE_NO_NEIGH;
	return ROUTE_NONE;
}

/* flags: 0, or BPF_FIB_LOOKUP_SRC to have the kernel fill fib_src() with the address it
 * would use toward daddr (FullNAT's default source, IPIP's outer source; Linux >= 6.7). */
static __always_inline int route_lookup(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					const struct xlb_ip *saddr, const struct xlb_ip *daddr,
					__u16 sport, __u16 dport, __u32 flags,
					struct bpf_fib_lookup *fib)
{
	route_query_init(ctx, p, saddr, daddr, sport, dport, fib);
	return route_query(ctx, fib, flags);
}

/* Sends the frame out of the route's device: strip a VLAN tag (the egress is an L3 route's
 * device), set MACs and redirect. XDP sees no tagged frame nor unresolved route here: it hands
 * both to TC before touching the packet (xlb_xdp.bpf.c, route_query). */
static __always_inline int redirect_route(struct xlb_ctx *ctx, const struct xlb_pkt *p, int route,
					  const struct bpf_fib_lookup *fib)
{
#ifdef XLB_HOOK_XDP
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;

	if (route != ROUTE_OK || (void *)(eth + 1) > data_end)
		return XLB_ACT_DROP;
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	return ctx_redirect(ctx, fib->ifindex);
#else
	struct bpf_redir_neigh nh = {};

	if (p->vlan || ctx_vlan_accel(ctx)) {
		if (bpf_skb_vlan_pop(ctx))
			return XLB_ACT_DROP;
	}
	if (route == ROUTE_OK) {
		void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > data_end)
			return XLB_ACT_DROP;
		__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
		return bpf_redirect(fib->ifindex, 0);
	}
	nh.nh_family = pkt_is_v6(p) ? AF_INET6 : AF_INET;
	/* The gateway or the destination itself (ipv4_nh is ipv6_nh[0]). */
	__builtin_memcpy(nh.ipv6_nh, fib->ipv6_dst, sizeof(nh.ipv6_nh));
	return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
#endif
}

/* Final step for a rewritten packet, routed like a router would: TTL - 1, then out.
 * p describes the packet before the rewrite. */
static __always_inline int forward(struct xlb_ctx *ctx, const struct xlb_pkt *p, int route,
				   const struct bpf_fib_lookup *fib)
{
	if (set_ttl(ctx, p, p->ttl - 1))
		return XLB_ACT_DROP;
	return redirect_route(ctx, p, route, fib);
}

#endif

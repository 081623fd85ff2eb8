/* Per-flow route cache: what bpf_fib_lookup answered for a tracked flow's packets, reused for
 * up to XLB_ROUTE_CACHE_TTL_NS so that most of them skip the FIB lookup, the largest single
 * cost of an established packet (docs/benchmarks.md).
 *
 * How stale an answer can be, and why that is acceptable: a slot is reused only for the exact
 * same lookup (addresses, ports, protocol, TOS, ingress interface, flags) and only if the
 * kernel's answer was complete (egress and both MACs); anything else is looked up every time.
 * A route or neighbour change (a route removed or moved, an ECMP next hop gone, a neighbour's
 * new MAC) therefore reaches a flow's packets at most 250 ms late; until then they keep going
 * where the kernel sent that same flow a moment ago, never anywhere it did not. That is shorter
 * than the kernel's own delays for such events (a neighbour entry stays in use for seconds after
 * its MAC stops answering; routing daemons take seconds to withdraw a dead next hop), and new
 * flows always see the current FIB. xlbd follows no netlink route/neighbour events, so there is
 * no generation to invalidate by; the short lifetime makes one unnecessary. */
#ifndef XLB_BPF_ROUTE_CACHE_H
#define XLB_BPF_ROUTE_CACHE_H

#include "lib/fwd.h"
#include "lib/parse.h"
#include "lib/select.h"

#define XLB_ROUTE_CACHE_SLOTS 4096 /* per CPU; a power of two */
#define XLB_ROUTE_CACHE_TTL_NS (250ULL * 1000 * 1000)

/* One direct-mapped slot: the question, then the answer. */
struct xlb_route_slot {
	struct xlb_ip saddr;
	struct xlb_ip daddr;
	__u16 sport;
	__u16 dport;
	__u32 iif;
	__u8 proto;
	__u8 tos;
	__u8 flags;  /* BPF_FIB_LOOKUP_* */
	__u8 family; /* the fib's AF_INET or AF_INET6 */
	__u32 oif;
	struct xlb_ip src;     /* fib_src() (BPF_FIB_LOOKUP_SRC) */
	struct xlb_ip nexthop; /* fib_dst() after the lookup: the gateway or the destination */
	__u8 smac[ETH_ALEN];
	__u8 dmac[ETH_ALEN];
	__u64 expires_ns;
};

/* Per CPU, so a slot is never read while another CPU writes it; private to the loaded program
 * (not pinned): a cache, never state. Flows that share a slot evict each other and look up
 * more often, nothing worse. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_route_slot);
	__uint(max_entries, XLB_ROUTE_CACHE_SLOTS);
} xlb_route_cache SEC(".maps");

static __always_inline int route_slot_answers(const struct xlb_route_slot *s,
					      const struct bpf_fib_lookup *q, __u32 flags,
					      __u64 now)
{
	return s->expires_ns > now && s->family == q->family && ip_equal(&s->saddr, fib_src(q)) &&
	       ip_equal(&s->daddr, fib_dst(q)) && s->sport == q->sport && s->dport == q->dport &&
	       s->iif == q->ifindex && s->proto == q->l4_protocol && s->tos == q->tos &&
	       s->flags == flags;
}

/* route_lookup() for a tracked flow's packet, answered from the cache while it is fresh. */
static __always_inline int route_lookup_cached(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					       const struct xlb_ip *saddr,
					       const struct xlb_ip *daddr, __u16 sport, __u16 dport,
					       __u32 flags, struct bpf_fib_lookup *fib, __u64 now)
{
	__u32 idx = mix32(ip_hash(saddr) ^ mix32(ip_hash(daddr) ^ (((__u32)sport << 16) | dport))) &
		    (XLB_ROUTE_CACHE_SLOTS - 1);
	struct xlb_route_slot *s = bpf_map_lookup_elem(&xlb_route_cache, &idx);
	int route;
	__u8 tos;

	route_query_init(ctx, p, saddr, daddr, sport, dport, fib);
	tos = fib->tos; /* the lookup may overwrite the question */
	if (s && route_slot_answers(s, fib, flags, now)) {
		fib->ifindex = s->oif;
		__builtin_memcpy(fib->ipv6_src, &s->src, sizeof(s->src));
		__builtin_memcpy(fib->ipv6_dst, &s->nexthop, sizeof(s->nexthop));
		__builtin_memcpy(fib->smac, s->smac, ETH_ALEN);
		__builtin_memcpy(fib->dmac, s->dmac, ETH_ALEN);
		return ROUTE_OK;
	}
	route = route_query(ctx, fib, flags);
	if (!s || route != ROUTE_OK)
		return route;
	s->saddr = *saddr;
	s->daddr = *daddr;
	s->sport = sport;
	s->dport = dport;
	s->iif = ctx_ifindex(ctx);
	s->proto = p->proto;
	s->tos = tos;
	s->flags = flags;
	s->family = fib->family;
	s->oif = fib->ifindex;
	s->src = *fib_src(fib);
	s->nexthop = *fib_dst(fib);
	__builtin_memcpy(s->smac, fib->smac, ETH_ALEN);
	__builtin_memcpy(s->dmac, fib->dmac, ETH_ALEN);
	s->expires_ns = now + XLB_ROUTE_CACHE_TTL_NS;
	return ROUTE_OK;
}

#endif

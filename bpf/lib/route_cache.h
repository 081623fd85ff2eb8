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
 * no generation to invalidate by; the short lifetime makes one unnecessary.
 *
 * Two tables: a slot per flow (the question) pointing at an answer that flows with the same
 * egress and next hop share, so a flow's packet touches one cold cache line of its own here. */
#ifndef XLB_BPF_ROUTE_CACHE_H
#define XLB_BPF_ROUTE_CACHE_H

#include "lib/fwd.h"
#include "lib/parse.h"
#include "lib/select.h"

#define XLB_ROUTE_CACHE_SLOTS 4096 /* per CPU; a power of two */
#define XLB_ROUTE_ANSWERS 1024	   /* per CPU; a power of two */
#define XLB_ROUTE_CACHE_TTL_NS (250ULL * 1000 * 1000)

/* One flow's slot: the exact question, and where its answer is (xlb_route_answer). 64 bytes,
 * one cache line: with many flows every packet finds its flow's slot cold, and a slot that
 * held the answer too (104 bytes) cost two or three line misses (docs/benchmarks.md). */
struct xlb_route_slot {
	struct xlb_ip saddr;
	struct xlb_ip daddr;
	__u16 sport;
	__u16 dport;
	__u32 iif;
	__u8 proto;
	__u8 tos;
	__u8 flags;	  /* BPF_FIB_LOOKUP_* */
	__u8 family;	  /* the fib's AF_INET or AF_INET6 */
	__u32 answer_gen; /* the answer's generation when it was this flow's */
	__u64 expires_ns;
	__u32 answer; /* its index among this CPU's answers */
	__u32 pad;
};
_Static_assert(sizeof(struct xlb_route_slot) == 64, "a route slot is one cache line");

/* One FIB answer, shared by every flow that got it (a handful of next hops serve thousands of
 * flows, so the answers stay in the CPU's cache). Overwriting it with another answer bumps its
 * generation, so a slot pointing at it stops answering: never another flow's route. */
struct xlb_route_answer {
	__u32 oif;
	__u32 gen;
	struct xlb_ip src;     /* fib_src() (BPF_FIB_LOOKUP_SRC) */
	struct xlb_ip nexthop; /* fib_dst() after the lookup: the gateway or the destination */
	__u8 smac[ETH_ALEN];
	__u8 dmac[ETH_ALEN];
	__u8 pad[12];
};
_Static_assert(sizeof(struct xlb_route_answer) == 64, "a route answer is one cache line");

/* CPU n's slots are [n * per-CPU count, (n + 1) * per-CPU count): plain arrays, not per-CPU
 * ones, because BPF_F_MMAPABLE puts an array's first value on a page boundary, so each 64-byte
 * value is exactly one line (a per-CPU array's values are only 8-byte aligned). A CPU writes
 * only its own part, so a slot is never read while another CPU writes it, as before. The
 * loader sizes both for the possible CPUs (src/datapath); a CPU beyond finds no slot and asks
 * the FIB. Private to the loaded program (not pinned): a cache, never state. Flows that share
 * a slot evict each other and look up more often, nothing worse. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_route_slot);
	__uint(max_entries, XLB_ROUTE_CACHE_SLOTS);
} xlb_route_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_route_answer);
	__uint(max_entries, XLB_ROUTE_ANSWERS);
} xlb_route_answers SEC(".maps");

static __always_inline int route_slot_answers(const struct xlb_route_slot *s,
					      const struct bpf_fib_lookup *q, __u32 flags,
					      __u64 now)
{
	return s->expires_ns > now && s->family == q->family && ip_equal(&s->saddr, fib_src(q)) &&
	       ip_equal(&s->daddr, fib_dst(q)) && s->sport == q->sport && s->dport == q->dport &&
	       s->iif == q->ifindex && s->proto == q->l4_protocol && s->tos == q->tos &&
	       s->flags == flags;
}

/* This CPU's answer `answer`; `key` is the caller's lookup key, reused (stack is scarce in
 * follow_flow). It asks for the CPU again rather than taking the caller's: holding that value
 * across the FIB lookup made xlb_xdp_ingress fail to load (tried, every xdp: suite failed). */
static __always_inline struct xlb_route_answer *route_answer_at(__u32 *key, __u32 answer)
{
	*key = bpf_get_smp_processor_id() * XLB_ROUTE_ANSWERS + (answer & (XLB_ROUTE_ANSWERS - 1));
	return bpf_map_lookup_elem(&xlb_route_answers, key);
}

static __always_inline int route_mac_equal(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

static __always_inline int route_answer_is(const struct xlb_route_answer *a,
					   const struct bpf_fib_lookup *fib)
{
	return a->oif == fib->ifindex && ip_equal(&a->src, fib_src(fib)) &&
	       ip_equal(&a->nexthop, fib_dst(fib)) && route_mac_equal(a->smac, fib->smac) &&
	       route_mac_equal(a->dmac, fib->dmac);
}

/* Files the FIB's complete answer among this CPU's answers (by its egress and next hop) and
 * points slot s at it. */
static __always_inline void route_answer_store(__u32 *key, struct xlb_route_slot *s,
					       const struct bpf_fib_lookup *fib)
{
	const struct xlb_ip *nh = fib_dst(fib);
	__u32 answer = mix32(fib->ifindex ^ nh->w[0] ^ nh->w[1] ^ nh->w[2] ^ nh->w[3]);
	struct xlb_route_answer *a = route_answer_at(key, answer);

	if (!a)
		return;
	if (!route_answer_is(a, fib)) {
		a->gen += 1;
		a->oif = fib->ifindex;
		a->src = *fib_src(fib);
		a->nexthop = *nh;
		__builtin_memcpy(a->smac, fib->smac, ETH_ALEN);
		__builtin_memcpy(a->dmac, fib->dmac, ETH_ALEN);
	}
	s->answer = answer;
	s->answer_gen = a->gen;
}

/* route_lookup() for a tracked flow's packet, answered from the cache while it is fresh. */
static __always_inline int route_lookup_cached(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					       const struct xlb_ip *saddr,
					       const struct xlb_ip *daddr, __u16 sport, __u16 dport,
					       __u32 flags, struct bpf_fib_lookup *fib, __u64 now)
{
	__u32 idx =
	    bpf_get_smp_processor_id() * XLB_ROUTE_CACHE_SLOTS +
	    (mix32(ip_hash(saddr) ^ mix32(ip_hash(daddr) ^ (((__u32)sport << 16) | dport))) &
	     (XLB_ROUTE_CACHE_SLOTS - 1));
	struct xlb_route_slot *s = bpf_map_lookup_elem(&xlb_route_cache, &idx);
	struct xlb_route_answer *a;
	int route;
	__u8 tos;

	route_query_init(ctx, p, saddr, daddr, sport, dport, fib);
	tos = fib->tos; /* the lookup may overwrite the question */
	if (s && route_slot_answers(s, fib, flags, now)) {
		a = route_answer_at(&idx, s->answer);
		if (a && a->gen == s->answer_gen) {
			fib->ifindex = a->oif;
			__builtin_memcpy(fib->ipv6_src, &a->src, sizeof(a->src));
			__builtin_memcpy(fib->ipv6_dst, &a->nexthop, sizeof(a->nexthop));
			__builtin_memcpy(fib->smac, a->smac, ETH_ALEN);
			__builtin_memcpy(fib->dmac, a->dmac, ETH_ALEN);
			return ROUTE_OK;
		}
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
	route_answer_store(&idx, s, fib);
	s->expires_ns = now + XLB_ROUTE_CACHE_TTL_NS;
	return ROUTE_OK;
}

#endif

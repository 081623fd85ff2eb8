/* Endpoint selection for new flows. rr, priority and hash pick a slot of the rule's table;
 * maglev looks the 5-tuple hash up in the rule's Maglev table; lc takes the endpoint with the
 * fewest active flows per unit of weight; persist remembers each client's endpoint. */
#ifndef XLB_BPF_SELECT_H
#define XLB_BPF_SELECT_H

#include "lib/clock.h"
#include "lib/maps.h"
#include "lib/parse.h"

/* A small avalanche mix (Murmur3 finaliser) over the 5-tuple; stable across CPUs and reloads. */
static __always_inline __u32 mix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* An address in one word: each word mixed in turn, so all 16 bytes of an IPv6 address count
 * (an IPv4 address's zero words still stir the state, alike on every node). */
static __always_inline __u32 ip_hash(const struct xlb_ip *ip)
{
	__u32 h = mix32(ip->w[0] ^ 0x9e3779b9);

	h = mix32(h ^ ip->w[1]);
	h = mix32(h ^ ip->w[2]);
	return h ^ ip->w[3];
}

/* The hash of p's tuple with `sport` as its source port: p->sport for the flow itself, 0 for
 * what all of one client's ports toward one rule share (snat.h: snat_port_start). */
static __always_inline __u32 tuple_hash_sport(const struct xlb_pkt *p, __u16 sport)
{
	__u32 h = mix32(ip_hash(&p->saddr));

	h = mix32(h ^ ip_hash(&p->daddr));
	h = mix32(h ^ (((__u32)sport << 16) | p->dport));
	return mix32(h ^ p->proto);
}

static __always_inline __u32 tuple_hash(const struct xlb_pkt *p)
{
	return tuple_hash_sport(p, p->sport);
}

static __always_inline int valid_endpoint(const struct xlb_svc *svc, __u32 idx)
{
	return idx < XLB_MAX_ENDPOINTS && idx < svc->nr_endpoints;
}

/* rr/priority walk the slot table with a global per-rule counter (weights live in the table);
 * hash indexes it with the 5-tuple hash. Returns an endpoint index or -1. */
static __always_inline int select_slot(const struct xlb_svc *svc, const struct xlb_pkt *p,
				       int by_hash)
{
	__u32 nr = svc->nr_slots;
	__u32 pick, slot, id = svc->id;
	__u8 ep;

	if (nr == 0 || nr > XLB_SELECT_SLOTS)
		return -1;
	if (by_hash) {
		pick = tuple_hash(p);
	} else {
		__u32 *pos = bpf_map_lookup_elem(&XLB_MAP_RR_ID, &id);

		if (!pos)
			return -1;
		pick = __sync_fetch_and_add(pos, 1);
	}
	slot = pick % nr;
	/* The verifier loses the bound of a modulo; the barrier keeps clang from dropping the mask.
	 */
	asm volatile("" : "+r"(slot));
	ep = svc->slots[slot & (XLB_SELECT_SLOTS - 1)];
	return valid_endpoint(svc, ep) ? ep : -1;
}

/* The rule's own table (maglev_gen) was built from exactly its up endpoints and is swapped in
 * with it (xlb_maglev_key), so the pick depends only on the tuple and the endpoint set: every
 * node with the same endpoints picks the same one, whatever order they were added in and in the
 * middle of an update. There is deliberately no fallback to the rule's hash slots (their order
 * follows each node's edit history): a table that is missing or names an unusable endpoint can
 * only come from a failed push, and a new flow is then refused rather than sent somewhere
 * another node would not send it. */
static __always_inline int select_maglev(const struct xlb_svc *svc, const struct xlb_pkt *p)
{
	__u32 key = xlb_maglev_key(svc->id, svc->maglev_gen), slot;
	__u32 *ep;
	void *table;

	if (svc->nr_slots == 0 || svc->maglev_size == 0)
		return -1; /* no eligible endpoint: the table may still name a dead one */
	table = bpf_map_lookup_elem(&XLB_MAP_MAGLEV_ID, &key);
	if (!table)
		return -1;
	slot = tuple_hash(p) % svc->maglev_size;
	ep = bpf_map_lookup_elem(table, &slot);
	if (ep && valid_endpoint(svc, *ep) &&
	    svc->eps[*ep & (XLB_MAX_ENDPOINTS - 1)].state == XLB_EP_UP)
		return *ep;
	return -1;
}

/* Fewest active flows per unit of weight: a/wa < b/wb  <=>  a*wb < b*wa. Ties go to the lower
 * index; the count rises with every pick, so a burst still spreads. The scan runs under
 * bpf_loop: an unrolled 32-way comparison chain is too many paths for the verifier. */
struct lc_scan {
	const struct xlb_svc *svc;
	__u64 best_load;
	__u64 best_weight;
	int best;
};

static long lc_scan_step(__u32 i, void *data)
{
	struct lc_scan *scan = data;
	const struct xlb_svc *svc = scan->svc;
	const struct xlb_endpoint *ep;
	__u32 key, *active;

	if (i >= svc->nr_endpoints || i >= XLB_MAX_ENDPOINTS)
		return 1; /* stop */
	ep = &svc->eps[i];
	if (ep->state != XLB_EP_UP || ep->weight == 0)
		return 0;
	key = xlb_ep_slot(svc->id, i);
	active = bpf_map_lookup_elem(&XLB_MAP_EP_CONNS_ID, &key);
	if (!active)
		return 0;
	if (scan->best < 0 || (__u64)*active * scan->best_weight < scan->best_load * ep->weight) {
		scan->best = i;
		scan->best_load = *active;
		scan->best_weight = ep->weight;
	}
	return 0;
}

static __always_inline int select_least_conns(const struct xlb_svc *svc)
{
	struct lc_scan scan = {.svc = svc, .best_load = 0, .best_weight = 1, .best = -1};

	bpf_loop(XLB_MAX_ENDPOINTS, lc_scan_step, &scan, 0);
	return scan.best;
}

static __always_inline void persist_key_init(struct xlb_persist_key *k, __u32 svc_id,
					     const struct xlb_ip *client)
{
	k->svc_id = svc_id;
	k->pad = 0;
	k->client = *client;
}

/* The client's remembered endpoint if it is still up and the affinity has not idled out;
 * otherwise a weighted pick, remembered. */
static __always_inline int select_persistent(const struct xlb_svc *svc, const struct xlb_pkt *p)
{
	struct xlb_persist_key key;
	struct xlb_persist_entry fresh = {};
	struct xlb_persist_entry *seen;
	__u64 now = xlb_now_ns();
	int idx;

	persist_key_init(&key, svc->id, &p->saddr);
	seen = bpf_map_lookup_elem(&XLB_MAP_PERSIST_ID, &key);
	if (seen &&
	    xlb_age_ns(now, seen->last_seen_ns) < (__u64)svc->persist_timeout_s * 1000000000ull) {
		__u32 i = seen->ep_idx;

		if (valid_endpoint(svc, i)) {
			const struct xlb_endpoint *ep = &svc->eps[i & (XLB_MAX_ENDPOINTS - 1)];

			if (ep->state == XLB_EP_UP && ip_equal(&ep->addr, &seen->ep_addr)) {
				seen->last_seen_ns = now;
				return i;
			}
		}
	}
	idx = select_slot(svc, p, 0);
	if (idx < 0)
		return -1;
	fresh.ep_addr = svc->eps[idx & (XLB_MAX_ENDPOINTS - 1)].addr;
	fresh.ep_idx = idx;
	fresh.last_seen_ns = now;
	bpf_map_update_elem(&XLB_MAP_PERSIST_ID, &key, &fresh, BPF_ANY);
	return idx;
}

/* Refreshes a client's affinity while its flows are active. */
static __always_inline void persist_touch(__u32 svc_id, const struct xlb_ip *client, __u64 now)
{
	struct xlb_persist_key key;
	struct xlb_persist_entry *seen;

	persist_key_init(&key, svc_id, client);
	seen = bpf_map_lookup_elem(&XLB_MAP_PERSIST_ID, &key);
	if (seen)
		seen->last_seen_ns = now;
}

/* Gives back the round-robin step of a choice that did not start a flow: XDP hands a new
 * flow's first packet to TC when it cannot forward it itself (no neighbour entry yet, NAT64,
 * ...), and TC chooses again. Without this every such flow would move round-robin twice: with
 * two endpoints always onto the same one, whose neighbour TC resolves while the other's never
 * is. (Other algorithms choose the same again: hash and maglev by the tuple, persist by the
 * affinity the first choice wrote, lc by counts no choice changes.) */
static __always_inline void select_give_back(const struct xlb_svc *svc)
{
	__u32 id = svc->id, *pos;

	if (svc->select != XLB_SEL_RR && svc->select != XLB_SEL_PRIORITY)
		return;
	pos = bpf_map_lookup_elem(&XLB_MAP_RR_ID, &id);
	if (pos)
		__sync_fetch_and_add(pos, (__u32)-1);
}

/* Returns the chosen endpoint index, or -1 if the rule cannot take new flows. A function of
 * its own: its frame never stacks on top of the start_*_flow frames. */
static __noinline int select_endpoint(const struct xlb_svc *svc, const struct xlb_pkt *p)
{
	switch (svc->select) {
	case XLB_SEL_HASH:
		return select_slot(svc, p, 1);
	case XLB_SEL_MAGLEV:
		return select_maglev(svc, p);
	case XLB_SEL_LC:
		return select_least_conns(svc);
	case XLB_SEL_PERSIST:
		return select_persistent(svc, p);
	default:
		return select_slot(svc, p, 0);
	}
}

#endif

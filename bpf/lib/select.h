/* Endpoint selection for new flows: every algorithm picks a slot of the rule's table. */
#ifndef XLB_BPF_SELECT_H
#define XLB_BPF_SELECT_H

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

static __always_inline __u32 tuple_hash(const struct xlb_pkt *p)
{
	__u32 h = mix32(p->saddr ^ 0x9e3779b9);

	h = mix32(h ^ p->daddr);
	h = mix32(h ^ (((__u32)p->sport << 16) | p->dport));
	return mix32(h ^ p->proto);
}

/* Returns the chosen endpoint index, or -1 if the rule cannot take new flows. */
static __always_inline int select_endpoint(const struct xlb_svc *svc, const struct xlb_pkt *p)
{
	__u32 nr = svc->nr_slots;
	__u32 pick, slot, id = svc->id;
	__u8 ep;

	if (nr == 0 || nr > XLB_SELECT_SLOTS)
		return -1;
	if (svc->select == XLB_SEL_HASH) {
		pick = tuple_hash(p);
	} else {
		/* rr and priority walk the table with a global counter; weights live in the table. */
		__u32 *pos = bpf_map_lookup_elem(&xlb_rr_v1, &id);

		if (!pos)
			return -1;
		pick = __sync_fetch_and_add(pos, 1);
	}
	slot = (pick % nr) & (XLB_SELECT_SLOTS - 1);
	ep = svc->slots[slot];
	if (ep >= XLB_MAX_ENDPOINTS || ep >= svc->nr_endpoints)
		return -1;
	return ep;
}

#endif

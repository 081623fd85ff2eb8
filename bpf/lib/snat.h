/* FullNAT source port allocation. A port is taken by inserting the flow's reply entry
 * (endpoint -> SNAT address:port) with BPF_NOEXIST: conntrack itself is the allocator, so a
 * (SNAT address, port, endpoint, endpoint port) tuple can never be handed out twice while its
 * flow lives, and it is free again the moment that flow's entries are gone. With two CT maps
 * (maps.h) the insert goes to the flow's own map and the other is checked to not hold it. */
#ifndef XLB_BPF_SNAT_H
#define XLB_BPF_SNAT_H

#include "lib/conntrack.h"
#include "lib/node.h"
#include "lib/parse.h"
#include "lib/select.h"

/* This node's share of the ports (xlb_node, set by xlbd: an HA pair splits the range so a split
 * brain never hands out one port twice). Read where used, not
 * kept: the probe loop has no spare registers, and a spilled copy would cost stack the start of a
 * FullNAT flow does not have. A range xlbd would refuse falls back to the compile-time one. */
static __always_inline __u32 snat_node_ports(void)
{
	__u32 ports = *(volatile __u32 *)&xlb_node.snat_ports;
	__u32 lo = XLB_NODE_SNAT_FIRST(ports), hi = XLB_NODE_SNAT_LAST(ports);

	if (lo >= XLB_SNAT_PORT_MIN && hi <= XLB_SNAT_PORT_MAX && lo <= hi)
		return ports;
	return XLB_NODE_SNAT_PORTS(XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX);
}

static __always_inline __u32 snat_ports_size(__u32 ports)
{
	return XLB_NODE_SNAT_LAST(ports) - XLB_NODE_SNAT_FIRST(ports) + 1;
}

static __always_inline __u16 snat_port_candidate(const struct xlb_pkt *p, __u32 start,
						 __u32 attempt)
{
	__u32 ports = snat_node_ports();

	/* Keep the client's port when it is in this node's range and free: ct output reads
	 * naturally. */
	if (attempt == 0 &&
	    (__u32)bpf_ntohs(p->sport) - XLB_NODE_SNAT_FIRST(ports) < snat_ports_size(ports))
		return p->sport;
	/* Then an odd stride from the client's start (snat_port_start), past taken ports. */
	return bpf_htons(XLB_NODE_SNAT_FIRST(ports) +
			 (start + attempt * 7919) % snat_ports_size(ports));
}

/* Where a client tuple's port search starts: its own port, shifted by an offset of the client's
 * address and the rule (VIP, port, protocol) — not a hash of the whole tuple. So one client's
 * ports map one to one onto the SNAT ports (a client's ephemeral range, at most 28,232 ports on
 * Linux, fits the 31,744 of XLB_SNAT_PORT_MIN..MAX), and a client that reuses a port gets back
 * the SNAT port it had. That matters to the endpoint, which keeps the old connection's tuple in
 * TIME_WAIT for 60 s: the reused client tuple continues its own TCP timestamps and passes, where
 * another client port's connection on that SNAT port carries an unrelated timestamp clock (this
 * kernel offsets it per four-tuple) and half of such SYNs fail PAWS (docs/modes.md). Different
 * clients start at different offsets, so their ports interleave rather than pile up. */
static __always_inline __u32 snat_port_start(const struct xlb_pkt *p, __u32 size)
{
	return (bpf_ntohs(p->sport) + tuple_hash_sport(p, 0)) % size;
}

/* Inserts `reply` under a free source port of the FullNAT flow `orig` (translated but for that
 * port), whose client tuple is `orig_key`; returns the port (network order, also set in `orig`
 * and `reply_key`) or 0. */
static __always_inline __u16 snat_claim_port(const struct xlb_pkt *p,
					     const struct xlb_ct_key *orig_key,
					     struct xlb_ct_entry *orig,
					     const struct xlb_ct_entry *reply,
					     struct xlb_ct_key *reply_key)
{
	__u32 start = snat_port_start(p, snat_ports_size(snat_node_ports()));

	xlb_ct_peer_key(orig_key, orig, reply_key);
	for (__u32 i = 0; i < XLB_SNAT_PORT_TRIES; i++) {
		__u16 port = snat_port_candidate(p, start, i);

		xlb_ct_set_snat_port(orig, reply_key, port);
		if (ct_insert(p, reply_key, reply, BPF_NOEXIST))
			continue;
		/* Free in this flow's map; a flow in the other map may still hold it. */
		if (!ct_held_elsewhere(p, reply_key, reply))
			return port;
		ct_uninsert(p, reply_key, reply);
	}
	return 0;
}

/* The rule's own SNAT address for this flow, or NULL to use the route's source address. */
static __always_inline const struct xlb_ip *snat_rule_address(const struct xlb_svc *svc,
							      const struct xlb_pkt *p)
{
	__u32 n = svc->nr_snat, idx;

	if (n == 0 || n > XLB_MAX_SNAT)
		return NULL;
	idx = tuple_hash(p) % n;
	/* The verifier loses the bound of a modulo; the barrier keeps clang from dropping the mask.
	 */
	asm volatile("" : "+r"(idx));
	return &svc->snat[idx & (XLB_MAX_SNAT - 1)];
}

#endif

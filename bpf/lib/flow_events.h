/* Conntrack sync: flows entering the main conntrack and TCP flows closing there are reported
 * through a ring buffer to xlbd, which sends them to the HA peer (docs/ha.md), only while the
 * node's events are on (xlb_node).
 *
 * The packet path only marks what a packet did to its flow (xlb_pkt.flow_event: a store, no
 * call); the entry point reports it once the verdict is decided. So an established packet pays
 * one load and a branch, events on or off, and a flow's start, promotion or close one load of
 * xlb_node more. Emitting from inside follow_flow or a start_*_flow would put a third BPF frame
 * on stacks already near 512 bytes, and its branches doubled the verifier's work on
 * follow_flow. */
#ifndef XLB_BPF_FLOW_EVENTS_H
#define XLB_BPF_FLOW_EVENTS_H

#include "lib/conntrack.h"
#include "lib/maps.h"
#include "lib/node.h"
#include "lib/stats.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XLB_FLOW_EVENTS_RING_BYTES);
} XLB_MAP_FLOW_EVENTS_ID SEC(".maps");

/* Reports the main-map flow of packet p (either direction), as its orig entry now holds it. A
 * flow not in the main map (a TCP handshake, a flow refused) is not reported: the peer learns a
 * TCP flow when its handshake completes. A full ring loses the event, counted: xlbd's periodic
 * refresh of live flows heals the peer. Global: verified once, with its own stack frame. */
__noinline int flow_event_report(const struct xlb_pkt *p)
{
	struct xlb_ct_entry *e;
	struct xlb_ct_key key, orig_key;
	struct xlb_flow_event *ev;

	if (!p)
		return 0;
	ct_key_of(&key, p);
	e = bpf_map_lookup_elem(&XLB_MAP_CT_ID, &key);
	if (!e)
		return 0;
	orig_key = key;
	if (e->dir == XLB_DIR_REPLY) {
		xlb_ct_peer_key(&key, e, &orig_key);
		e = bpf_map_lookup_elem(&XLB_MAP_CT_ID, &orig_key);
		if (!e || e->dir != XLB_DIR_ORIG)
			return 0;
	}
	ev = bpf_ringbuf_reserve(&XLB_MAP_FLOW_EVENTS_ID, sizeof(*ev), 0);
	if (!ev) {
		stat_verdict(XLB_STAT_FLOW_EVENTS_LOST);
		return 0;
	}
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	ev->kind = p->flow_event;
	ev->key = orig_key;
	ev->entry = *e;
	bpf_ringbuf_submit(ev, 0);
	return 1;
}

/* Called by the entry point for every packet: one load and a branch unless something happened
 * to a flow, and one more load (of xlb_node) unless events are on. */
static __always_inline void flow_event_reported(const struct xlb_pkt *p)
{
	if (p->flow_event && node_flow_events_on())
		flow_event_report(p);
}

#endif

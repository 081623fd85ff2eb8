/* Per-node settings the control plane changes at run time and the datapath reads only when a
 * flow starts or ends (never per established packet): conntrack sync events on or off, and the
 * FullNAT source ports this node may allocate. */
#ifndef XLB_ABI_NODE_H
#define XLB_ABI_NODE_H

#include "common.h"
#include "conntrack.h"

#define XLB_NODE_F_FLOW_EVENTS (1u << 0) /* report flows to the ring buffer (conntrack sync) */

/* The BPF object's global `xlb_node` (its .data section: a map the loader mmaps, so a read in
 * BPF is one load and a write from xlbd one store). Fresh on every load: events off, the whole
 * compile-time port range. */
struct xlb_node_cfg {
	__u32 flags;	  /* 0: XLB_NODE_F_* */
	__u32 snat_ports; /* 4: XLB_NODE_SNAT_PORTS(first, last): the FullNAT source ports this
			   * node allocates, within [XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX] */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_node_cfg) == 8, "node config size");
XLB_ASSERT_OFFSET(struct xlb_node_cfg, snat_ports, 4);

/* Both ends of the port range in one word, so one store changes them together and a flow never
 * probes with one end of the old range and one of the new. Host order. */
#define XLB_NODE_SNAT_PORTS(first, last) (((__u32)(last) << 16) | (__u32)(__u16)(first))
#define XLB_NODE_SNAT_FIRST(ports) ((ports)&0xffff)
#define XLB_NODE_SNAT_LAST(ports) ((ports) >> 16)

/* Conntrack sync: a flow entered the main conntrack (TCP handshake done, or a UDP or picked-up
 * flow started), or a TCP flow there closed (FIN both ways, or RST). */
enum xlb_flow_event_kind {
	XLB_FLOW_EV_ESTABLISHED = 1,
	XLB_FLOW_EV_CLOSED = 2,
};

/* One ring-buffer record: the flow's orig entry as the datapath held it. */
struct xlb_flow_event {
	__u8 kind;		   /* 0: enum xlb_flow_event_kind */
	__u8 pad[7];		   /* 1: zero */
	struct xlb_ct_key key;	   /* 8: the orig (client-side) key */
	struct xlb_ct_entry entry; /* 48 */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_flow_event) == 144, "flow event size");
XLB_ASSERT_OFFSET(struct xlb_flow_event, key, 8);
XLB_ASSERT_OFFSET(struct xlb_flow_event, entry, 48);

/* The ring's size in bytes (a power of two, whole pages): 4 MiB hold 27,000 events of 152
 * bytes (the record and the ring's 8-byte header), a few seconds of 10,000 new flows/s. */
#define XLB_FLOW_EVENTS_RING_BYTES (4u << 20)

#endif

/* This node's run-time settings (include/xlb/abi/node.h): a global in the object's .data, which
 * xlbd writes through the skeleton's mmap. Read only where a flow starts or ends. */
#ifndef XLB_BPF_NODE_H
#define XLB_BPF_NODE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/xlb.h"

struct xlb_node_cfg xlb_node = {
    .flags = 0,
    .snat_ports = XLB_NODE_SNAT_PORTS(XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX),
};

static __always_inline int node_flow_events_on(void)
{
	return *(volatile __u32 *)&xlb_node.flags & XLB_NODE_F_FLOW_EVENTS;
}

#endif

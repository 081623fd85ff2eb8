/* Per-CPU counter updates: verdict reasons, per rule and per endpoint. Only the entry point
 * counts (count_verdict in xlb_tc.bpf.c), once per packet, from the packet's verdict. */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include "lib/maps.h"

static __always_inline void stat_verdict(__u32 reason)
{
	__u64 *count = bpf_map_lookup_elem(&XLB_MAP_DP_STATS_ID, &reason);

	if (count)
		*count += 1;
}

static __always_inline void counter_add(struct xlb_counter *c, __u32 bytes, int new_flow)
{
	if (!c)
		return;
	c->packets += 1;
	c->bytes += bytes;
	c->new_flows += new_flow ? 1 : 0;
}

static __always_inline void stat_flow(__u32 svc_id, __u32 ep_idx, __u32 bytes, int new_flow)
{
	__u32 ep_key = xlb_ep_slot(svc_id, ep_idx);

	counter_add(bpf_map_lookup_elem(&XLB_MAP_SVC_STATS_ID, &svc_id), bytes, new_flow);
	counter_add(bpf_map_lookup_elem(&XLB_MAP_EP_STATS_ID, &ep_key), bytes, new_flow);
}

/* A DSR packet sent to the endpoint, by its path. */
static __always_inline void stat_dsr(__u32 svc_id, __u32 ep_idx, int tunnelled)
{
	__u32 ep_key = xlb_ep_slot(svc_id, ep_idx);
	struct xlb_dsr_counter *c = bpf_map_lookup_elem(&XLB_MAP_EP_DSR_ID, &ep_key);

	if (!c)
		return;
	if (tunnelled)
		c->ipip += 1;
	else
		c->l2 += 1;
}

#endif

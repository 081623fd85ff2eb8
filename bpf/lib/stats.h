/* Per-CPU counter updates: verdict reasons, per rule and per endpoint. */
#ifndef XLB_BPF_STATS_H
#define XLB_BPF_STATS_H

#include <linux/pkt_cls.h>

#include "lib/maps.h"

static __always_inline void stat_verdict(enum xlb_dp_stat reason)
{
	__u32 key = reason;
	__u64 *count = bpf_map_lookup_elem(&XLB_MAP_DP_STATS_ID, &key);

	if (count)
		*count += 1;
}

/* A frame the datapath began to rewrite or answer and could not finish (a helper failed, or
 * the answer cannot be built): dropped, and counted like every other frame. */
static __always_inline int rewrite_failed(void)
{
	stat_verdict(XLB_STAT_DROP_REWRITE);
	return TC_ACT_SHOT;
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

#endif

/* The pre-filter (include/xlb/abi/addr_filter.h): one lookup tells a TCP/UDP packet that
 * concerns no VIP and no tracked flow, so it skips conntrack, the rule lookup and the
 * DSR-reply check. flow.h marks each new flow's endpoint, xlbd the VIPs. */
#ifndef XLB_BPF_ADDR_FILTER_H
#define XLB_BPF_ADDR_FILTER_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/addr_filter.h"
#include "xlb/abi/maps.h"

/* Mmapable, so xlbd sets a VIP's or a synced flow's bit with one atomic OR, not by rewriting
 * 64 KiB through the map API. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct xlb_addr_filter);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_ADDR_FILTER_ID SEC(".maps");

static __always_inline struct xlb_addr_filter *addr_filter(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&XLB_MAP_ADDR_FILTER_ID, &zero);
}

static __always_inline int addr_filter_has(const struct xlb_addr_filter *f, const struct xlb_ip *a)
{
	__u32 bit = xlb_addr_filter_bit(a);

	return (f->bits[bit / 64] >> (bit % 64)) & 1;
}

/* May the packet from saddr to daddr concern the LB? No only when both bits are clear. */
static __always_inline int addr_filter_may_concern(const struct xlb_ip *saddr,
						   const struct xlb_ip *daddr)
{
	const struct xlb_addr_filter *f = addr_filter();

	return !f || addr_filter_has(f, saddr) || addr_filter_has(f, daddr);
}

/* Marks an address conntrack will find a flow by. Checked first: the atomic OR (a shared
 * cache line) only when the bit is new. */
static __always_inline void addr_filter_mark(const struct xlb_ip *a)
{
	struct xlb_addr_filter *f = addr_filter();
	__u32 bit = xlb_addr_filter_bit(a);

	if (f && !addr_filter_has(f, a))
		__sync_fetch_and_or(&f->bits[bit / 64], 1ull << (bit % 64));
}

#endif

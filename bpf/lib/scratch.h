/* Per-CPU scratch for the packet path's large locals: the FIB question/answer and a new flow's
 * conntrack entry. Each BPF frame of the path (entry, follow_flow or a start_*_flow, then the
 * helpers they call) shares one 512-byte stack; with 16-byte addresses these two no longer fit
 * on it. follow_flow and the start_*_flow functions never run for the same packet, and a CPU
 * runs one packet at a time (TC runs with preemption off), so one slot per CPU serves them. */
#ifndef XLB_BPF_SCRATCH_H
#define XLB_BPF_SCRATCH_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/conntrack.h"

struct xlb_scratch {
	struct bpf_fib_lookup fib;
	struct xlb_ct_entry e;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_scratch);
	__uint(max_entries, 1);
} xlb_scratch SEC(".maps");

/* NULL never happens (index 0 of a one-slot array); callers still check, for the verifier. */
static __always_inline struct xlb_scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xlb_scratch, &zero);
}

#endif

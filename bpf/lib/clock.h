/* The datapath's one clock. Flow timestamps (created/last seen), affinity times and the route
 * cache's expiry all come from here: CLOCK_MONOTONIC read coarsely (the time of the last
 * timer tick, 1-4 ms resolution, never ahead of CLOCK_MONOTONIC), which the control plane
 * compares with its own CLOCK_MONOTONIC readings. Coarse because a fine read costs a TSC read
 * per packet: read_tsc was 3% of the LB's CPU in a perf profile of the Mpps benchmark, and
 * the coarse clock measured 7-10% more XDP packets per CPU-second (docs/benchmarks.md). Every
 * timeout it serves is 250 ms or longer. */
#ifndef XLB_BPF_CLOCK_H
#define XLB_BPF_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u64 xlb_now_ns(void)
{
	return bpf_ktime_get_coarse_ns();
}

/* now - then, for a `then` that the control plane may have written from its own, finer
 * reading of the same clock and so be up to a tick ahead of `now`: that reads as 0, not as
 * an age of 2^64 ns. */
static __always_inline __u64 xlb_age_ns(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

#endif

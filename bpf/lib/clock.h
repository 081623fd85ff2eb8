/* The datapath's one clock. Flow timestamps (created/last seen), affinity times and the route
 * cache's expiry all come from here: CLOCK_MONOTONIC read coarsely (the time of a recent timer
 * tick, never ahead of CLOCK_MONOTONIC), which the control plane compares with its own
 * CLOCK_MONOTONIC readings. Every timeout it serves is 250 ms or longer.
 *
 * Coarse because a fine read costs a TSC read per packet (read_tsc was 3% of the LB's CPU in
 * the Mpps benchmark's profile). And read once per jiffy per CPU, not per packet: the coarse
 * read is a helper call three kernel functions deep, and where every return pays a mitigation
 * (AMD's SRSO "safe RET") that cost an established packet 20-35 ns, more than its conntrack
 * lookup (docs/benchmarks.md). bpf_jiffies64() is inlined by the verifier into one load, so
 * each CPU keeps the coarse reading it took in the current jiffy (in its scratch). Readings
 * trail the coarse clock by at most one tick more (a CPU reading in a jiffy's first moments,
 * before the timekeeper moved the coarse time, keeps that reading until the next jiffy): still
 * never ahead of CLOCK_MONOTONIC, never going back on one CPU. */
#ifndef XLB_BPF_CLOCK_H
#define XLB_BPF_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/scratch.h"

/* The clock, for a caller holding its CPU's scratch `s` (no second lookup, no key on its
 * stack: follow_flow's frame is at the verifier's limit). */
static __always_inline __u64 xlb_now_ns_in(struct xlb_scratch *s)
{
	if (!s)
		return bpf_ktime_get_coarse_ns();
	if (s->clock.jiffies != bpf_jiffies64() || !s->clock.ns) {
		s->clock.ns = bpf_ktime_get_coarse_ns();
		/* Read again rather than kept across the call (one load): a jiffy that ended in
		 * between files the reading under the next one, a tick older, never newer. */
		s->clock.jiffies = bpf_jiffies64();
	}
	return s->clock.ns;
}

static __always_inline __u64 xlb_now_ns(void)
{
	return xlb_now_ns_in(scratch_get());
}

/* now - then, for a `then` that the control plane may have written from its own, finer
 * reading of the same clock and so be up to a tick ahead of `now`: that reads as 0, not as
 * an age of 2^64 ns. */
static __always_inline __u64 xlb_age_ns(__u64 now, __u64 then)
{
	return now > then ? now - then : 0;
}

#endif

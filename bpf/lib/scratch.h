/* Per-CPU scratch for the packet path's large locals: the FIB question/answer, a reply's orig
 * key, a new flow's conntrack entries, the buffers of an ICMPv6 Packet Too Big and of an ICMPv6
 * error's quote; and the CPU's clock reading (clock.h), the one member kept across packets. Each
 * BPF frame of the path (entry, follow_flow or a start_*_flow, then the helpers they call) shares
 * one 512-byte stack; with 16-byte addresses these two no longer fit on it. follow_flow and the
 * start_*_flow functions never run for the same packet, and a CPU runs one packet at a time (TC
 * runs with preemption off), so one slot per CPU serves them. */
#ifndef XLB_BPF_SCRATCH_H
#define XLB_BPF_SCRATCH_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/conntrack.h"

#include "lib/csum.h"

/* The ICMPv6 Packet Too Big header and the pseudo-header its checksum covers (dsr.h). */
struct xlb_ptb6 {
	struct xlb_ipv6_pseudo pseudo;
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 mtu;
};

/* The start of the packet an ICMPv6 error quotes (icmp_error.h). */
struct quoted_flow6 {
	struct ipv6hdr ip;
	__be16 sport;
	__be16 dport;
};

/* The CPU's coarse clock reading and the jiffy it was taken in (clock.h). */
struct xlb_clock_reading {
	__u64 jiffies;
	__u64 ns;
};

struct xlb_scratch {
	struct xlb_clock_reading clock; /* kept across packets, unlike the rest */
	struct bpf_fib_lookup fib;
	struct xlb_ct_key peer; /* follow_flow: a reply's orig key */
	struct xlb_ct_entry e;
	struct xlb_ct_entry reply; /* a new flow's reply entry, derived from e */
	struct {		   /* send_pkt_too_big6, which runs below follow_flow */
		struct xlb_ptb6 h;
		struct ipv6hdr ip6;
		__u8 macs[2 * ETH_ALEN];
		__u8 swapped[2 * ETH_ALEN];
	} ptb6;
	struct { /* translate_icmp6_error */
		struct quoted_flow6 q;
		struct xlb_ct_key key;
	} icmp6;
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

/* The datapath's pre-filter (bpf/lib/addr_filter.h): one bit per hash of an address that may
 * concern the LB. A TCP/UDP packet whose source and destination both hash to clear bits is
 * neither for a VIP nor part of a tracked flow, so the datapath hands it to the kernel after
 * one lookup instead of two conntrack lookups, a rule lookup and the DSR-reply check.
 *
 * Who sets bits: the control plane for every VIP (new flows, DSR replies sent from a VIP),
 * the datapath for each new flow's endpoint (NAT and FullNAT replies come from its address),
 * xlbd for the addresses of the flows it writes itself (synced from a peer).
 * Bits are never cleared: a stale bit only sends some foreign packets down the full path (as
 * every packet went before), a missing one would hand a tracked flow's reply to the kernel. */
#ifndef XLB_ABI_ADDR_FILTER_H
#define XLB_ABI_ADDR_FILTER_H

#include "common.h"

#define XLB_ADDR_FILTER_SHIFT 19 /* 2^19 bits: 64 KiB */
#define XLB_ADDR_FILTER_WORDS ((1u << XLB_ADDR_FILTER_SHIFT) / 64)

/* The single value of the (mmapable) array map XLB_MAP_ADDR_FILTER. */
struct xlb_addr_filter {
	__u64 bits[XLB_ADDR_FILTER_WORDS];
};
XLB_STATIC_ASSERT(sizeof(struct xlb_addr_filter) == 65536, "addr filter size");

/* The bit of an address: its words mixed, then the top bits of a multiplicative hash (an IPv4
 * address, w[0] alone, spreads as well as an IPv6 one). Same code on both sides. */
static inline __u32 xlb_addr_filter_bit(const struct xlb_ip *a)
{
	__u32 x =
	    a->w[0] ^ (a->w[1] * 0x85ebca6bu) ^ (a->w[2] * 0xc2b2ae35u) ^ (a->w[3] * 0x27d4eb2fu);

	return (x * 0x9e3779b1u) >> (32 - XLB_ADDR_FILTER_SHIFT);
}

#endif

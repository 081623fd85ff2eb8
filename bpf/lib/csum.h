/* Checksums: full ones over small buffers the datapath builds itself (new headers), and
 * incremental updates (RFC 1624) computed in registers, without a helper call. */
#ifndef XLB_BPF_CSUM_H
#define XLB_BPF_CSUM_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Ones' complement checksum of a buffer whose size is a multiple of 4 (bpf_csum_diff's rule). */
static __always_inline __u16 csum_buffer(void *buf, __u32 size)
{
	return csum_fold32(bpf_csum_diff(0, 0, buf, size, 0));
}

/* An incremental update is a running 64-bit sum of what changed: for each field, its old
 * value's ones' complement and its new value. Values are taken as they sit in the packet
 * (network order); ones' complement sums do not care for byte order as long as fields and
 * checksum are read alike (RFC 1071). 16-bit fields must start at an even offset. */
static __always_inline __u64 csum_diff32(__u64 diff, __u32 from, __u32 to)
{
	return diff + (__u32)~from + to;
}

/* A 16-byte address (xlb_ip) changed: four words. An IPv4 address's zero words add nothing. */
static __always_inline __u64 csum_diff_ip(__u64 diff, const __u32 *from, const __u32 *to)
{
	diff = csum_diff32(diff, from[0], to[0]);
	diff = csum_diff32(diff, from[1], to[1]);
	diff = csum_diff32(diff, from[2], to[2]);
	return csum_diff32(diff, from[3], to[3]);
}

static __always_inline __u64 csum_diff16(__u64 diff, __u16 from, __u16 to)
{
	return diff + (__u16)~from + to;
}

/* A diff as the 32-bit partial sum (__wsum) that bpf_l4_csum_replace takes. */
static __always_inline __u32 csum_diff_wsum(__u64 diff)
{
	diff = (diff & 0xffffffff) + (diff >> 32);
	diff = (diff & 0xffffffff) + (diff >> 32);
	return (__u32)diff;
}

/* The checksum `check` after the changes summed in diff: ~(~check + diff) (RFC 1624 eqn. 3). */
static __always_inline __u16 csum16_apply(__u16 check, __u64 diff)
{
	return csum_fold32(csum_diff_wsum(diff + (__u16)~check));
}

#endif

/* Full checksums over small buffers the datapath builds itself (new headers). */
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

#endif

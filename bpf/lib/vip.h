/* Is this address one of the VIPs the control plane published? */
#ifndef XLB_BPF_VIP_H
#define XLB_BPF_VIP_H

#include "lib/maps.h"

static __always_inline int is_vip(__u32 addr)
{
	struct xlb_ip key = {.w = {addr, 0, 0, 0}};

	return bpf_map_lookup_elem(&xlb_vip_v1, &key) != NULL;
}

#endif

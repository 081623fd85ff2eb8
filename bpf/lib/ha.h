/* HA: does this node answer ARP and ping for its VIPs? Only as MASTER, or with no HA state at
 * all (a lone node). Forwarding never asks: a BACKUP keeps forwarding what still reaches it. */
#ifndef XLB_BPF_HA_H
#define XLB_BPF_HA_H

#include "lib/maps.h"

/* One array lookup (inlined by the verifier), on the ARP / echo-to-VIP path only. */
static __always_inline int ha_answers_for_vips(void)
{
	__u32 instance = XLB_HA_DEFAULT_INSTANCE;
	struct xlb_ha *ha = bpf_map_lookup_elem(&XLB_MAP_HA_ID, &instance);

	return !ha || ha->state == XLB_HA_NOT_DEFINED || ha->state == XLB_HA_MASTER;
}

#endif

/* HA: which node of a pair answers ARP and ping for the VIPs. keepalived (or any decider) sets
 * the state through xlbd; the datapath reads it only on the ARP / echo-to-VIP path. */
#ifndef XLB_ABI_HA_H
#define XLB_ABI_HA_H

#include "common.h"

/* Zero, the value of a fresh map, is NOT_DEFINED: a lone node answers for its VIPs as it always
 * did. Only MASTER and NOT_DEFINED answer; every state keeps forwarding. */
enum xlb_ha_state {
	XLB_HA_NOT_DEFINED = 0,
	XLB_HA_MASTER = 1,
	XLB_HA_BACKUP = 2,
	XLB_HA_FAULT = 3,
};
#define XLB_HA_STATE_COUNT 4

/* Instances index the HA map (xlb_ha_v1); 0 is "default", which covers every VIP. More
 * instances (active/active sharding) would tag their VIPs in xlb_vip_info. */
#define XLB_HA_DEFAULT_INSTANCE 0
#define XLB_HA_MAX_INSTANCES 16

struct xlb_ha {
	__u32 state; /* 0: enum xlb_ha_state */
	__u32 flags; /* 4: none defined yet, zero */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_ha) == 8, "ha size");
XLB_ASSERT_OFFSET(struct xlb_ha, flags, 4);

#endif

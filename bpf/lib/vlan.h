/* The 802.1Q tag as it sits between the MAC addresses and the EtherType. */
#ifndef XLB_BPF_VLAN_H
#define XLB_BPF_VLAN_H

#include <linux/types.h>

struct xlb_vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

#endif

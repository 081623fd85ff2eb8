/* Pinned maps. Each map's name is written once, here, as a C identifier (XLB_MAP_*_ID): it names
 * the BPF object's map variable, hence the kernel's map name and the skeleton's field, and,
 * stringified (XLB_MAP_*), its pin under the bpffs directory. At most 15 characters: the kernel
 * truncates longer object names. The _vN suffix changes with any incompatible layout change so
 * a new datapath never adopts a stale pinned map: a version bump is one line here, and the old
 * name joins XLB_RETIRED_MAPS. */
#ifndef XLB_ABI_MAPS_H
#define XLB_ABI_MAPS_H

#define XLB_MAP_SVC_ID xlb_svc_v1
#define XLB_MAP_VIP_ID xlb_vip_v1
#define XLB_MAP_IFACE_ID xlb_iface_v1
#define XLB_MAP_CT_ID xlb_ct_v2
#define XLB_MAP_CT_SYN_ID xlb_ct_syn_v1 /* embryonic TCP flows (SYN_SENT, SYN_RECV) */
#define XLB_MAP_RR_ID xlb_rr_v1
#define XLB_MAP_SVC_STATS_ID xlb_svc_stat_v1
#define XLB_MAP_EP_STATS_ID xlb_ep_stat_v1
#define XLB_MAP_DP_STATS_ID xlb_dp_stat_v4 /* XLB_DP_STAT_SLOTS counters */
#define XLB_MAP_MAGLEV_ID xlb_maglev_v2	   /* key: xlb_maglev_key(rule id, generation) */
#define XLB_MAP_PERSIST_ID xlb_persist_v1
#define XLB_MAP_EP_CONNS_ID xlb_ep_conns_v1
#define XLB_MAP_EP_DSR_ID xlb_ep_dsr_v1
#define XLB_MAP_HA_ID xlb_ha_v1 /* HA state per instance */
#define XLB_MAP_ADDR_FILTER_ID xlb_addrflt_v1 /* pre-filter bitmap (addr_filter.h) */
/* Conntrack sync events (ring buffer): not pinned, it belongs to the program that fills it. */
#define XLB_MAP_FLOW_EVENTS_ID xlb_flow_ev_v1

#define XLB_MAP_NAME_(id) #id
#define XLB_MAP_NAME(id) XLB_MAP_NAME_(id)

#define XLB_MAP_SVC XLB_MAP_NAME(XLB_MAP_SVC_ID)
#define XLB_MAP_VIP XLB_MAP_NAME(XLB_MAP_VIP_ID)
#define XLB_MAP_IFACE XLB_MAP_NAME(XLB_MAP_IFACE_ID)
#define XLB_MAP_CT XLB_MAP_NAME(XLB_MAP_CT_ID)
#define XLB_MAP_CT_SYN XLB_MAP_NAME(XLB_MAP_CT_SYN_ID)
#define XLB_MAP_RR XLB_MAP_NAME(XLB_MAP_RR_ID)
#define XLB_MAP_SVC_STATS XLB_MAP_NAME(XLB_MAP_SVC_STATS_ID)
#define XLB_MAP_EP_STATS XLB_MAP_NAME(XLB_MAP_EP_STATS_ID)
#define XLB_MAP_DP_STATS XLB_MAP_NAME(XLB_MAP_DP_STATS_ID)
#define XLB_MAP_MAGLEV XLB_MAP_NAME(XLB_MAP_MAGLEV_ID)
#define XLB_MAP_PERSIST XLB_MAP_NAME(XLB_MAP_PERSIST_ID)
#define XLB_MAP_EP_CONNS XLB_MAP_NAME(XLB_MAP_EP_CONNS_ID)
#define XLB_MAP_EP_DSR XLB_MAP_NAME(XLB_MAP_EP_DSR_ID)
#define XLB_MAP_HA XLB_MAP_NAME(XLB_MAP_HA_ID)
#define XLB_MAP_ADDR_FILTER XLB_MAP_NAME(XLB_MAP_ADDR_FILTER_ID)
#define XLB_MAP_FLOW_EVENTS XLB_MAP_NAME(XLB_MAP_FLOW_EVENTS_ID)

/* Pins of maps an older xlb used and this one replaced (a layout change means a new name):
 * xlbd removes them at start so an upgrade does not leave them allocated forever. */
#define XLB_RETIRED_MAPS                                                                           \
	{                                                                                          \
		"xlb_ct_v1", "xlb_dp_stat_v1", "xlb_dp_stat_v2", "xlb_dp_stat_v3", "xlb_maglev_v1" \
	}

#endif

/* Pinned map names (at most 15 characters: the kernel truncates longer object names). The _v1
 * suffix changes with any incompatible layout change so a new datapath never adopts a stale pinned
 * map. */
#ifndef XLB_ABI_MAPS_H
#define XLB_ABI_MAPS_H

#define XLB_MAP_SVC "xlb_svc_v1"
#define XLB_MAP_VIP "xlb_vip_v1"
#define XLB_MAP_IFACE "xlb_iface_v1"
#define XLB_MAP_CT "xlb_ct_v2"
#define XLB_MAP_CT_SYN "xlb_ct_syn_v1" /* embryonic TCP flows (SYN_SENT, SYN_RECV) */
#define XLB_MAP_RR "xlb_rr_v1"
#define XLB_MAP_SVC_STATS "xlb_svc_stat_v1"
#define XLB_MAP_EP_STATS "xlb_ep_stat_v1"
#define XLB_MAP_DP_STATS "xlb_dp_stat_v2"
#define XLB_MAP_MAGLEV "xlb_maglev_v1"
#define XLB_MAP_PERSIST "xlb_persist_v1"
#define XLB_MAP_EP_CONNS "xlb_ep_conns_v1"

/* Pins of maps an older xlb used and this one replaced (a layout change means a new name):
 * xlbd removes them at start so an upgrade does not leave them allocated forever. */
#define XLB_RETIRED_MAPS { "xlb_ct_v1", "xlb_dp_stat_v1" }

#endif

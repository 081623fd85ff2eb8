/* Map definitions of the TC datapath; names and layouts come from include/xlb/abi. */
#ifndef XLB_BPF_MAPS_H
#define XLB_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "lib/svc_map.h"
#include "xlb/abi/xlb.h"

/* Sizes marked "set at load" are placeholders: the loader resizes them from its options. */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xlb_ip);
	__type(value, struct xlb_vip_info);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_VIP_ID SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* ifindex */
	__type(value, struct xlb_iface);
	__uint(max_entries, 1024);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_IFACE_ID SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_ct_key);
	__type(value, struct xlb_ct_entry);
	__uint(max_entries, XLB_DEFAULT_CT_SIZE); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_CT_ID SEC(".maps");

/* Embryonic TCP flows (SYN_SENT, SYN_RECV), both entries, until the handshake completes and
 * conntrack.h promotes them into the main map. A SYN flood fills and evicts only this map, so it
 * cannot push established flows out of the main one. UDP goes straight to the main map: it
 * has no handshake to wait for (a DSR rule never even sees the reply that would prove one). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_ct_key);
	__type(value, struct xlb_ct_entry);
	__uint(max_entries, XLB_DEFAULT_CT_SIZE / XLB_CT_SYN_DEFAULT_DIVISOR); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_CT_SYN_ID SEC(".maps");

/* Round-robin position per rule id; shared by all CPUs so rr is global, not per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_RR_ID SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32); /* rule id */
	__type(value, struct xlb_counter);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_SVC_STATS_ID SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32); /* xlb_ep_slot(rule id, endpoint index) */
	__type(value, struct xlb_counter);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES *XLB_MAX_ENDPOINTS); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_EP_STATS_ID SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32); /* enum xlb_dp_stat */
	__type(value, __u64);
	__uint(max_entries, XLB_DP_STAT_SLOTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_DP_STATS_ID SEC(".maps");

/* DSR packets per endpoint by path (L2 or IPIP): what the datapath did, for diagnose. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32); /* xlb_ep_slot(rule id, endpoint index) */
	__type(value, struct xlb_dsr_counter);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES *XLB_MAX_ENDPOINTS); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_EP_DSR_ID SEC(".maps");

/* maglev: two inner arrays per rule id, at xlb_maglev_key(id, generation); the rule value's
 * maglev_gen names its own (its size is the rule's table size, so inner maps of different
 * sizes are allowed: BPF_F_INNER_MAP). Values are endpoint indexes. Built by the control plane
 * (src/select/maglev.cpp). */
struct xlb_maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32); /* xlb_maglev_key(rule id, generation) */
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES *XLB_MAGLEV_GENERATIONS); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct xlb_maglev_inner);
} XLB_MAP_MAGLEV_ID SEC(".maps");

/* persist: client -> endpoint affinity; LRU so forgotten clients make room. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_persist_key);
	__type(value, struct xlb_persist_entry);
	__uint(max_entries, 65536); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_PERSIST_ID SEC(".maps");

/* lc: active flows per xlb_ep_slot(rule id, endpoint index). The datapath counts
 * flows up and down; the daemon resyncs the counts from conntrack as it ages entries. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES *XLB_MAX_ENDPOINTS); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_EP_CONNS_ID SEC(".maps");

/* HA state per instance (enum xlb_ha_state), written by the control plane; read only on the
 * ARP / echo-to-VIP path (lib/ha.h). A fresh map holds NOT_DEFINED: answer as a lone node. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32); /* instance, XLB_HA_DEFAULT_INSTANCE for now */
	__type(value, struct xlb_ha);
	__uint(max_entries, XLB_HA_MAX_INSTANCES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_HA_ID SEC(".maps");

#endif

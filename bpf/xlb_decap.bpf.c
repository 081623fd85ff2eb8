/* xlb-decap: backend-side TC ingress program for L3-DSR. Strips the outer IPv4 header of IPIP
 * packets addressed to this host so the inner packet (client -> VIP) is delivered to the VIP
 * configured on lo. Needs no kernel ipip device.
 *
 * "Addressed to this host" is the loader's list of local addresses (xlb_decap_local): a
 * tunnel packet for another host (a router, or a bridge that sees transit traffic) passes
 * untouched. A FIB lookup cannot answer it here: it refuses when forwarding is off, as it is
 * on most backends. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/vlan.h"

#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif

char LICENSE[] SEC("license") = "GPL";

/* Outer destinations this host accepts (network byte order), filled by xlb-decap attach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} xlb_decap_local SEC(".maps");

SEC("tc")
int xlb_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *outer, *inner;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end || outer->protocol != IPPROTO_IPIP)
		return TC_ACT_OK;
	/* Only the plain 20-byte outer header xlb writes; anything else is the kernel's. */
	if (outer->version != 4 || outer->ihl != 5 || (outer->frag_off & bpf_htons(0x3fff)))
		return TC_ACT_OK;
	if (!bpf_map_lookup_elem(&xlb_decap_local, &outer->daddr))
		return TC_ACT_OK;
	inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end || inner->version != 4)
		return TC_ACT_OK;
	if (bpf_skb_adjust_room(skb, -(int)sizeof(struct iphdr), BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_OK;
	return TC_ACT_OK;
}

/* xlb-decap: backend-side TC ingress program for L3-DSR. Strips the outer header of IPIP
 * (IPv4-in-IPv4, protocol 4) and IPv6-in-IPv6 (next header 41) packets addressed to this host so
 * the inner packet (client -> VIP) is delivered to the VIP configured on lo. Needs no kernel
 * ipip or ip6tnl device.
 *
 * "Addressed to this host" is the loader's list of local addresses (xlb_decap_local): a
 * tunnel packet for another host (a router, or a bridge that sees transit traffic) passes
 * untouched. A FIB lookup cannot answer it here: it refuses when forwarding is off, as it is
 * on most backends. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/common.h"

#include "lib/vlan.h"

#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif
#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif

char LICENSE[] SEC("license") = "GPL";

/* Outer destinations this host accepts (network byte order; IPv4 in w[0], the rest zero),
 * filled by xlb-decap attach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct xlb_ip);
	__type(value, __u8);
} xlb_decap_local SEC(".maps");

/* The plain 20-byte IPIP header xlb writes, to a local address; anything else is the
 * kernel's. Returns the outer header's length, or 0. */
static __always_inline int ipip_outer_len(void *outer_start, void *data_end)
{
	struct iphdr *outer = outer_start, *inner;
	struct xlb_ip dst = {};

	if ((void *)(outer + 1) > data_end || outer->protocol != IPPROTO_IPIP)
		return 0;
	if (outer->version != 4 || outer->ihl != 5 || (outer->frag_off & bpf_htons(0x3fff)))
		return 0;
	dst.w[0] = outer->daddr;
	if (!bpf_map_lookup_elem(&xlb_decap_local, &dst))
		return 0;
	inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end || inner->version != 4)
		return 0;
	return sizeof(*outer);
}

/* The same for the 40-byte IPv6 header (no extension headers) in front of an IPv6 packet. */
static __always_inline int ip6ip6_outer_len(void *outer_start, void *data_end)
{
	struct ipv6hdr *outer = outer_start, *inner;
	struct xlb_ip dst;

	if ((void *)(outer + 1) > data_end || outer->nexthdr != IPPROTO_IPV6 || outer->version != 6)
		return 0;
	__builtin_memcpy(&dst, &outer->daddr, sizeof(dst));
	if (!bpf_map_lookup_elem(&xlb_decap_local, &dst))
		return 0;
	inner = (void *)(outer + 1);
	if ((void *)(inner + 1) > data_end || inner->version != 6)
		return 0;
	return sizeof(*outer);
}

SEC("tc")
int xlb_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	int outer_len;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		outer_len = ipip_outer_len(eth + 1, data_end);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		outer_len = ip6ip6_outer_len(eth + 1, data_end);
	else
		return TC_ACT_OK;
	if (!outer_len)
		return TC_ACT_OK;
	bpf_skb_adjust_room(skb, -outer_len, BPF_ADJ_ROOM_MAC, 0);
	return TC_ACT_OK;
}

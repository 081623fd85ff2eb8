/* Answers for the VIP itself: ARP requests and ICMP echo, so "can I reach the VIP" works
 * without configuring the VIP on any interface of the LB. */
#ifndef XLB_BPF_RESPONDER_H
#define XLB_BPF_RESPONDER_H

#include <linux/pkt_cls.h>
#include "lib/ha.h"
#include "lib/maps.h"
#include "lib/nat.h"
#include "lib/parse.h"
#include "lib/verdict.h"
#include "lib/vip.h"

/* linux/if_arp.h pulls in libc socket headers, which do not build for -target bpf. */
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

struct xlb_arp_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* Returns the verdict if the frame was an ARP request for a VIP this node answers for (HA: MASTER
 * or no state), or XLB_NO_VERDICT. */
static __always_inline xlb_verdict answer_arp(struct __sk_buff *skb, const struct xlb_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct xlb_arp_ipv4 *arp = data + p->l3_off;
	__u32 ifindex = skb->ifindex;
	struct xlb_iface *iface;
	__be32 requester_ip, vip;
	struct xlb_ip vip_key;

	if (p->l3_off > ETH_HLEN + 4 || (void *)(arp + 1) > data_end)
		return XLB_NO_VERDICT;
	if (arp->htype != bpf_htons(ARPHRD_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4 || arp->op != bpf_htons(ARPOP_REQUEST))
		return XLB_NO_VERDICT;
	ip_set_v4(&vip_key, arp->tpa);
	if (!is_vip(&vip_key) || !ha_answers_for_vips())
		return XLB_NO_VERDICT;
	iface = bpf_map_lookup_elem(&XLB_MAP_IFACE_ID, &ifindex);
	if (!iface)
		return XLB_NO_VERDICT;

	requester_ip = arp->spa;
	vip = arp->tpa;
	__builtin_memcpy(eth->h_dest, arp->sha, ETH_ALEN);
	__builtin_memcpy(eth->h_source, iface->mac, ETH_ALEN);
	arp->op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	arp->tpa = requester_ip;
	__builtin_memcpy(arp->sha, iface->mac, ETH_ALEN);
	arp->spa = vip;
	return verdict_sent(bpf_redirect(ifindex, 0), verdict(TC_ACT_REDIRECT, XLB_STAT_ARP_REPLY));
}

/* Turns an ICMP echo request to a VIP into the reply, in place. */
static __always_inline xlb_verdict answer_echo(struct __sk_buff *skb, const struct xlb_pkt *p)
{
	__u8 macs[2 * ETH_ALEN], swapped[2 * ETH_ALEN];
	__u8 reply_type = ICMP_ECHOREPLY;
	__u16 old_type = bpf_htons(ICMP_ECHO << 8), new_type = bpf_htons(ICMP_ECHOREPLY << 8);
	__u32 icmp_csum_off = p->l4_off + offsetof(struct icmphdr, checksum);

	if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)))
		return rewrite_failed();
	__builtin_memcpy(swapped, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, macs, ETH_ALEN);
	/* Swapping addresses leaves the IPv4 checksum as it is (a sum does not care for order);
	 * ICMP has no pseudo-header, so only the type change touches its checksum. */
	if (bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0) ||
	    bpf_skb_store_bytes(skb, p->l4_off, &reply_type, 1, 0) ||
	    bpf_l4_csum_replace(skb, icmp_csum_off, old_type, new_type, sizeof(new_type)) ||
	    bpf_skb_store_bytes(skb, p->l3_off + offsetof(struct iphdr, saddr), &p->daddr.w[0], 4,
				0) ||
	    bpf_skb_store_bytes(skb, p->l3_off + offsetof(struct iphdr, daddr), &p->saddr.w[0], 4,
				0) ||
	    set_ttl(skb, p, 64))
		return rewrite_failed();
	return verdict_sent(bpf_redirect(skb->ifindex, 0),
			    verdict(TC_ACT_REDIRECT, XLB_STAT_ICMP_ECHO_REPLY));
}

#endif

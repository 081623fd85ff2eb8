/* Answers for the VIP itself: ARP requests and IPv6 Neighbor Solicitations, ICMP and ICMPv6
 * echo, so "can I reach the VIP" works without configuring the VIP on any interface of the LB.
 * Neighbor Advertisements count as arp_reply, ICMPv6 echo replies as icmp_echo_reply. */
#ifndef XLB_BPF_RESPONDER_H
#define XLB_BPF_RESPONDER_H

#include "lib/ctx.h"
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
static __always_inline xlb_verdict answer_arp(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;
	struct xlb_arp_ipv4 *arp = data + p->l3_off;
	__u32 ifindex = ctx_ifindex(ctx);
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
	return verdict_sent(ctx_redirect(ctx, ifindex),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_ARP_REPLY));
}

/* Turns an ICMP or ICMPv6 echo request to a VIP into the reply, in place. A function of its own:
 * its MAC buffers never add to the entry program's frame. */
static __noinline xlb_verdict answer_echo(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	__u8 macs[2 * ETH_ALEN], swapped[2 * ETH_ALEN];
	int v6 = pkt_is_v6(p);
	__u8 reply_type = v6 ? ICMPV6_ECHO_REPLY : ICMP_ECHOREPLY;
	__u16 old_type = bpf_htons((v6 ? ICMPV6_ECHO_REQUEST : ICMP_ECHO) << 8),
	      new_type = bpf_htons(reply_type << 8);
	__u32 icmp_csum_off = p->l4_off + offsetof(struct icmphdr, checksum);
	/* Where the addresses sit; IPv4's are w[0] of xlb_ip, IPv6's all of it. */
	__u32 saddr_off =
	    p->l3_off + (v6 ? offsetof(struct ipv6hdr, saddr) : offsetof(struct iphdr, saddr));
	__u32 daddr_off =
	    p->l3_off + (v6 ? offsetof(struct ipv6hdr, daddr) : offsetof(struct iphdr, daddr));
	__u32 addr_len = v6 ? sizeof(struct xlb_ip) : 4;

	if (ctx_load_bytes(ctx, 0, macs, sizeof(macs)))
		return rewrite_failed();
	__builtin_memcpy(swapped, macs + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(swapped + ETH_ALEN, macs, ETH_ALEN);
	/* Swapping addresses leaves the IPv4 checksum and ICMPv6's pseudo-header sum as they are
	 * (a sum does not care for order); ICMP has no pseudo-header: only the type change
	 * touches the checksum. */
	if (ctx_store_bytes(ctx, 0, swapped, sizeof(swapped)) ||
	    ctx_store_bytes(ctx, p->l4_off, &reply_type, 1) ||
	    ctx_l4_csum_diff(ctx, icmp_csum_off, csum_diff16(0, old_type, new_type), 0) ||
	    ctx_store_bytes(ctx, saddr_off, &p->daddr, addr_len) ||
	    ctx_store_bytes(ctx, daddr_off, &p->saddr, addr_len) || set_ttl(ctx, p, 64))
		return rewrite_failed();
	return verdict_sent(ctx_redirect(ctx, ctx_ifindex(ctx)),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_ICMP_ECHO_REPLY));
}

/* A Neighbor Advertisement (RFC 4861 4.4) with the target link-layer address option, and the
 * IPv6 pseudo-header its checksum covers, laid out so one buffer sums both. */
struct xlb_na_reply {
	struct xlb_ipv6_pseudo pseudo;
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be32 flags; /* R S O + reserved */
	struct xlb_ip target;
	__u8 opt_type; /* 2: target link-layer address */
	__u8 opt_len;  /* in 8-byte units: 1 */
	__u8 opt_mac[ETH_ALEN];
};

#define XLB_NA_LEN 32 /* the ICMPv6 message: 24 + one 8-byte option */
#define XLB_NA_F_SOLICITED 0x40000000
#define XLB_NA_F_OVERRIDE 0x20000000

/* Longest Neighbor Solicitation answered: 24 bytes and up to 5 options of 8 bytes (a longer one,
 * unusual, goes to the kernel). */
#define XLB_NS_MAX_LEN 64

/* The NS's target, if it is a valid Neighbor Solicitation (RFC 4861 7.1.1: hop limit 255, code
 * 0, at least 24 bytes, options in 8-byte units, checksum verifies over the pseudo-header) from
 * an address that can be answered (not the unspecified one: duplicate address detection is not a
 * question xlb answers). */
static __always_inline int ns_target(struct xlb_ctx *ctx, const struct xlb_pkt *p,
				     struct xlb_ip *target)
{
	__u32 msg[XLB_NS_MAX_LEN / 4] = {};
	__u32 len = p->tot_len - (p->l4_off - p->l3_off);
	__s64 sum;

	if (p->ttl != 255 || len < 24 || len > XLB_NS_MAX_LEN || (len & 7))
		return -1;
	if (!(p->saddr.w[0] | p->saddr.w[1] | p->saddr.w[2] | p->saddr.w[3]))
		return -1;
	if (ctx_load_bytes(ctx, p->l4_off, msg, len))
		return -1;
	/* The message (zero-padded to 64 bytes: zeros add nothing), then the pseudo-header. */
	sum = bpf_csum_diff(0, 0, msg, sizeof(msg), 0);
	if (sum < 0)
		return -1;
	sum = bpf_csum_diff(0, 0, (__be32 *)&p->saddr, 2 * sizeof(p->saddr), sum);
	if (sum < 0 || csum_fold32(csum_diff_wsum((__u64)(__u32)sum + bpf_htonl(len) +
						  bpf_htonl(IPPROTO_ICMPV6))) != 0)
		return -1;
	if (((__u8 *)msg)[1] != 0) /* code */
		return -1;
	__builtin_memcpy(target, &msg[2], sizeof(*target));
	return 0;
}

/* Returns the verdict if the frame was a Neighbor Solicitation for a VIP this node answers for
 * (HA: MASTER or no state, as for ARP), answered with a solicited Neighbor Advertisement from
 * the VIP to the soliciting address with the interface's MAC; else XLB_NO_VERDICT. The
 * frame is rebuilt in place (Ethernet, IPv6, NA), an in-band VLAN tag kept. */
static __noinline xlb_verdict answer_ns(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	struct xlb_na_reply na = {};
	struct ipv6hdr ip6 = {};
	__u8 macs[2 * ETH_ALEN];
	__u32 ifindex = ctx_ifindex(ctx);
	struct xlb_iface *iface;

	if (!p || p->l3_off > XLB_L3_OFF_MAX)
		return XLB_NO_VERDICT;
	if (ns_target(ctx, p, &na.target) || !is_vip(&na.target) || !ha_answers_for_vips())
		return XLB_NO_VERDICT;
	iface = bpf_map_lookup_elem(&XLB_MAP_IFACE_ID, &ifindex);
	if (!iface)
		return XLB_NO_VERDICT;

	__builtin_memcpy(na.pseudo.src, &na.target, sizeof(na.pseudo.src));
	__builtin_memcpy(na.pseudo.dst, &p->saddr, sizeof(na.pseudo.dst));
	na.pseudo.len = bpf_htonl(XLB_NA_LEN);
	na.pseudo.next = bpf_htonl(IPPROTO_ICMPV6);
	na.type = ICMPV6_NEIGH_ADVERT;
	na.flags = bpf_htonl(XLB_NA_F_SOLICITED | XLB_NA_F_OVERRIDE);
	na.opt_type = 2;
	na.opt_len = 1;
	__builtin_memcpy(na.opt_mac, iface->mac, ETH_ALEN);
	na.checksum = csum_buffer(&na, sizeof(na));

	ip6.version = 6;
	ip6.payload_len = bpf_htons(XLB_NA_LEN);
	ip6.nexthdr = IPPROTO_ICMPV6;
	ip6.hop_limit = 255;
	__builtin_memcpy(&ip6.saddr, &na.target, sizeof(na.target));
	__builtin_memcpy(&ip6.daddr, &p->saddr, sizeof(p->saddr));

	/* To the solicitor's MAC (the frame's source), from the interface's. */
	if (ctx_load_bytes(ctx, ETH_ALEN, macs, ETH_ALEN))
		return rewrite_failed();
	__builtin_memcpy(macs + ETH_ALEN, iface->mac, ETH_ALEN);
	if (ctx_set_len(ctx, p->l3_off + sizeof(ip6) + XLB_NA_LEN) ||
	    ctx_store_bytes(ctx, 0, macs, sizeof(macs)) ||
	    ctx_store_bytes(ctx, p->l3_off, &ip6, sizeof(ip6)) ||
	    ctx_store_bytes(ctx, p->l3_off + sizeof(ip6), &na.type, XLB_NA_LEN))
		return rewrite_failed();
	return verdict_sent(ctx_redirect(ctx, ifindex),
			    verdict(XLB_ACT_REDIRECT, XLB_STAT_ARP_REPLY));
}

#endif

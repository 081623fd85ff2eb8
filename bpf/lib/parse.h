/* Header parsing: Ethernet (+ one 802.1Q tag), IPv4 or IPv6 (extension headers walked with a
 * fixed bound), TCP/UDP/ICMP/ICMPv6; every read bounds-checked. One xlb_pkt for both families:
 * addresses are 16 bytes (xlb_ip, IPv4 in w[0]), so everything after parsing is one path. */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/common.h"

#include "lib/csum.h"
#include "lib/ctx.h"
#include "lib/vlan.h"

/* linux/icmp.h pulls in libc socket headers, which do not build for -target bpf. */
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

/* linux/icmpv6.h's names, without its header (ICMPv6 shares icmphdr's first 8 bytes). */
#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMPV6_NEIGH_SOLICIT 135
#define ICMPV6_NEIGH_ADVERT 136

/* IPv6 extension headers walked to find the L4 header: at most this many, and at most this
 * many bytes of them. A packet with more is the kernel's (passed, never rewritten): the bound
 * keeps the walk a fixed loop the verifier checks once per step. */
#define XLB_IPV6_EXT_MAX 4
#define XLB_IPV6_EXT_BYTES_MAX 192
#define XLB_IPV6_HOPOPTS 0
#define XLB_IPV6_ROUTING 43
#define XLB_IPV6_FRAGMENT 44
#define XLB_IPV6_DSTOPTS 60
#define XLB_IPV6_NONXT 59

/* Where an L3 header may start (Ethernet + one VLAN tag), and the furthest an L4 header may
 * start: the longest IPv4 header is 60 bytes, an IPv6 one 40 plus its extension headers. Bound
 * every offset the verifier must check a packet pointer against. */
#define XLB_L3_OFF_MAX (ETH_HLEN + 4)
#define XLB_L4_OFF_MAX (XLB_L3_OFF_MAX + 40 + XLB_IPV6_EXT_BYTES_MAX)

#define XLB_TCP_FIN 0x01
#define XLB_TCP_SYN 0x02
#define XLB_TCP_RST 0x04
#define XLB_TCP_ACK 0x10

/* Offsets and the 5-tuple of one packet. Addresses and ports in network byte order. */
struct xlb_pkt {
	struct xlb_ip saddr; /* IPv4: w[0], w[1..3] zero */
	struct xlb_ip daddr;
	__u32 l3_off;
	__u32 l4_off; /* IPv6: after the extension headers */
	__u32 len;    /* ctx_len(ctx), for byte counters */
	__u16 sport;
	__u16 dport;
	__u16 tot_len;	 /* the IP packet's length: IPv4 total length, IPv6 40 + payload length */
	__u16 eth_proto; /* after the VLAN tag, network order */
	__u32 tcp_seq;	 /* host order */
	__u32 tcp_ack;	 /* host order */
	__u8 proto;	 /* the L4 protocol (IPv6: the last extension header's next header) */
	__u8 tcp_flags;
	__u8 ttl;  /* IPv6: hop limit */
	__u8 tos;  /* IPv6: traffic class */
	__u8 vlan; /* an in-band 802.1Q tag is present */
	__u8 icmp_type;
	__u8 l4_hlen;	 /* TCP header with options, 8 for UDP */
	__u8 flow_event; /* conntrack sync: what this packet did to its flow (enum
			  * xlb_flow_event_kind), written where it happens, reported by the entry
			  * point (flow_events.h) */
	__u8 family;	 /* XLB_AF_INET or XLB_AF_INET6 */
	__u8 nat64;	 /* a NAT64 flow's packet: it leaves in the other family (nat64.h) */
	__u8 ct_recycle; /* a SYN on a finished flow's tuple found in the main map: the new flow
			  * takes over the old one's entries there (conntrack.h, ct_new_in_syn) */
	__u8 pad;
};

static __always_inline int pkt_is_v6(const struct xlb_pkt *p)
{
	return p->family == XLB_AF_INET6;
}

/* The family the packet leaves in: its own, or the other one for a NAT64 flow's packet. */
static __always_inline int pkt_out_is_v6(const struct xlb_pkt *p)
{
	return pkt_is_v6(p) != (p->nat64 != 0);
}

static __always_inline __u8 pkt_out_family(const struct xlb_pkt *p)
{
	return pkt_out_is_v6(p) ? XLB_AF_INET6 : XLB_AF_INET;
}

static __always_inline int ip_equal(const struct xlb_ip *a, const struct xlb_ip *b)
{
	return ((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) | (a->w[2] ^ b->w[2]) |
		(a->w[3] ^ b->w[3])) == 0;
}

static __always_inline void ip_set_v4(struct xlb_ip *ip, __u32 addr)
{
	ip->w[0] = addr;
	ip->w[1] = 0;
	ip->w[2] = 0;
	ip->w[3] = 0;
}

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,	/* not IPv4/IPv6: pkt.eth_proto tells what */
	PARSE_BAD_IP,	/* IP header unusable: nothing can be trusted */
	PARSE_FRAGMENT, /* addresses valid, L4 absent or partial */
	PARSE_BAD_L4,	/* addresses valid, L4 header truncated/invalid */
	PARSE_OTHER_L4, /* addresses valid, protocol we do not balance */
};

/* Make sure the headers we read are in the linear area (veth/GRO may leave them paged). */
static __always_inline void pull_headers(struct xlb_ctx *ctx)
{
	/* Ethernet + VLAN + the longest IP header we walk + max TCP header. */
	ctx_pull(ctx, XLB_L4_OFF_MAX + 60);
}

static __always_inline int parse_eth(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IP;
	p->eth_proto = eth->h_proto;
	p->l3_off = ETH_HLEN;
	if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
		struct xlb_vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > data_end)
			return PARSE_NOT_IP;
		p->eth_proto = vh->encap_proto;
		p->l3_off += sizeof(*vh);
		p->vlan = 1;
	}
	return p->eth_proto == bpf_htons(ETH_P_IP) || p->eth_proto == bpf_htons(ETH_P_IPV6)
		   ? PARSE_OK
		   : PARSE_NOT_IP;
}

/* RFC 1812 5.2.2: a router verifies the IPv4 header checksum. The kernel would drop a header
 * that fails it; it is garbage, not a packet whose (possibly flipped) addresses may become a flow.
 * A function of its own so the 60-byte copy never adds to a balancing path's stack. */
static __noinline int ipv4_header_csum_ok(struct xlb_ctx *ctx, __u32 off, __u32 len)
{
	__u32 hdr[15] = {}; /* the longest IPv4 header: 60 bytes */

	if (len < sizeof(struct iphdr) || len > sizeof(hdr))
		return 0;
	if (ctx_load_bytes(ctx, off, hdr, len))
		return 0;
	return csum_fold32(bpf_csum_diff(0, 0, hdr, len, 0)) == 0;
}

/* The same check for the common option-less header, summed in place (no helper calls). The
 * caller has bounds-checked the 20 bytes. */
static __always_inline int ipv4_plain_header_csum_ok(const struct iphdr *iph)
{
	const __u32 *w = (const void *)iph;

	return csum_fold32(csum_diff_wsum((__u64)w[0] + w[1] + w[2] + w[3] + w[4])) == 0;
}

/* The L4 header must lie inside the IP packet (ip_end = l3_off + tot_len), not merely inside
 * the frame: bytes after the packet are Ethernet padding or junk, not a header to rewrite. */
static __always_inline int parse_l4(void *l4, void *data_end, struct xlb_pkt *p)
{
	__u32 ip_end = p->l3_off + p->tot_len;

	if (p->proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end || th->doff < 5)
			return PARSE_BAD_L4;
		if ((void *)th + th->doff * 4 > data_end || p->l4_off + th->doff * 4 > ip_end)
			return PARSE_BAD_L4;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->l4_hlen = th->doff * 4;
		p->tcp_seq = bpf_ntohl(th->seq);
		p->tcp_ack = bpf_ntohl(th->ack_seq);
		return PARSE_OK;
	}
	if (p->proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return PARSE_BAD_L4;
		if (bpf_ntohs(uh->len) < sizeof(*uh) ||
		    p->l4_off + bpf_ntohs(uh->len) > p->l3_off + p->tot_len)
			return PARSE_BAD_L4;
		/* RFC 8200 8.1: over IPv6 a zero UDP checksum is invalid (the kernel drops it). */
		if (pkt_is_v6(p) && uh->check == 0)
			return PARSE_BAD_L4;
		p->sport = uh->source;
		p->dport = uh->dest;
		p->l4_hlen = sizeof(*uh);
		return PARSE_OK;
	}
	if (p->proto == (pkt_is_v6(p) ? IPPROTO_ICMPV6 : IPPROTO_ICMP)) {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end || p->l4_off + sizeof(*ih) > ip_end)
			return PARSE_BAD_L4;
		p->icmp_type = ih->type;
		return PARSE_OK;
	}
	return PARSE_OTHER_L4;
}

/* The IPv4 header at l3_off; then the L4 header. */
static __always_inline int parse_ipv4(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct iphdr *iph = data + p->l3_off;
	__u32 ihl_bytes;

	if ((void *)(iph + 1) > data_end)
		return PARSE_BAD_IP;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_BAD_IP;
	ihl_bytes = iph->ihl * 4;
	p->tot_len = bpf_ntohs(iph->tot_len);
	/* The IPv4 length must cover its header and fit in the frame. */
	if (p->tot_len < ihl_bytes || p->l3_off + p->tot_len > ctx_len(ctx))
		return PARSE_BAD_IP;
	if ((void *)iph + ihl_bytes > data_end)
		return PARSE_BAD_IP;
	if (ihl_bytes == sizeof(*iph) ? !ipv4_plain_header_csum_ok(iph)
				      : !ipv4_header_csum_ok(ctx, p->l3_off, ihl_bytes))
		return PARSE_BAD_IP;

	p->family = XLB_AF_INET;
	ip_set_v4(&p->saddr, iph->saddr);
	ip_set_v4(&p->daddr, iph->daddr);
	p->proto = iph->protocol;
	p->ttl = iph->ttl;
	p->tos = iph->tos;
	p->l4_off = p->l3_off + ihl_bytes;

	/* MF set or a non-zero offset: L4 ports are absent or not ours to trust. */
	if (iph->frag_off & bpf_htons(0x3fff))
		return PARSE_FRAGMENT;
	return parse_l4((void *)iph + ihl_bytes, data_end, p);
}

/* One IPv6 extension header (hop-by-hop, routing, destination options share the layout: next
 * header, length in 8-byte units not counting the first 8). */
struct xlb_ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
};

/* The IPv6 header at l3_off, its extension headers, then the L4 header. A fragment header
 * makes it a fragment (passed to the kernel, as IPv4 fragments are). */
static __always_inline int parse_ipv6(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	void *data = ctx_data(ctx);
	void *data_end = ctx_data_end(ctx);
	struct ipv6hdr *ip6h = data + p->l3_off;
	__u32 off, ext_len = 0;
	__u8 next;

	if ((void *)(ip6h + 1) > data_end)
		return PARSE_BAD_IP;
	if (ip6h->version != 6)
		return PARSE_BAD_IP;
	p->tot_len = sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
	/* The payload must fit in the frame (a jumbogram's 0 leaves no L4 header: never ours). */
	if (p->l3_off + p->tot_len > ctx_len(ctx))
		return PARSE_BAD_IP;

	p->family = XLB_AF_INET6;
	__builtin_memcpy(&p->saddr, &ip6h->saddr, sizeof(p->saddr));
	__builtin_memcpy(&p->daddr, &ip6h->daddr, sizeof(p->daddr));
	p->ttl = ip6h->hop_limit;
	p->tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
	next = ip6h->nexthdr;

#pragma unroll
	for (int i = 0; i < XLB_IPV6_EXT_MAX; i++) {
		struct xlb_ipv6_ext *ext;

		if (next == XLB_IPV6_FRAGMENT)
			return PARSE_FRAGMENT;
		if (next != XLB_IPV6_HOPOPTS && next != XLB_IPV6_ROUTING &&
		    next != XLB_IPV6_DSTOPTS)
			break;
		ext = data + p->l3_off + sizeof(*ip6h) + ext_len;
		if ((void *)(ext + 1) > data_end)
			return PARSE_BAD_IP;
		next = ext->nexthdr;
		ext_len += (ext->hdrlen + 1) * 8;
		if (ext_len > XLB_IPV6_EXT_BYTES_MAX)
			return PARSE_OTHER_L4;
	}
	if (next == XLB_IPV6_FRAGMENT)
		return PARSE_FRAGMENT;
	if (next == XLB_IPV6_HOPOPTS || next == XLB_IPV6_ROUTING || next == XLB_IPV6_DSTOPTS)
		return PARSE_OTHER_L4; /* more extension headers than we walk */
	off = p->l3_off + sizeof(*ip6h) + ext_len;
	/* The extension headers must lie inside the packet too. */
	if (off > p->l3_off + p->tot_len)
		return PARSE_BAD_IP;
	p->proto = next;
	p->l4_off = off;
	if (off > XLB_L4_OFF_MAX) /* bounds the offset for the verifier; never true */
		return PARSE_BAD_IP;
	return parse_l4(data + off, data_end, p);
}

/* Fills p from the frame. Never writes to the packet. */
static __always_inline int parse_packet(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	int rc;

	p->len = ctx_len(ctx);
	rc = parse_eth(ctx, p);
	if (rc != PARSE_OK)
		return rc;
	if (p->eth_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(ctx, p);
	return parse_ipv4(ctx, p);
}

#endif

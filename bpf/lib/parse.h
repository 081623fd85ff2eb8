/* Header parsing: Ethernet (+ one 802.1Q tag), IPv4, TCP/UDP/ICMP; every read bounds-checked. */
#ifndef XLB_BPF_PARSE_H
#define XLB_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/csum.h"
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

#define XLB_TCP_FIN 0x01
#define XLB_TCP_SYN 0x02
#define XLB_TCP_RST 0x04
#define XLB_TCP_ACK 0x10

/* Offsets and the 5-tuple of one packet. Addresses and ports in network byte order. */
struct xlb_pkt {
	__u32 l3_off;
	__u32 l4_off;
	__u32 len; /* skb->len, for byte counters */
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u16 tot_len;
	__u16 eth_proto; /* after the VLAN tag, network order */
	__u32 tcp_seq;	 /* host order */
	__u32 tcp_ack;	 /* host order */
	__u8 proto;
	__u8 tcp_flags;
	__u8 ttl;
	__u8 tos;
	__u8 vlan; /* an in-band 802.1Q tag is present */
	__u8 icmp_type;
	__u8 l4_hlen;	 /* TCP header with options, 8 for UDP */
	__u8 flow_event; /* conntrack sync: what this packet did to its flow (enum
			  * xlb_flow_event_kind), written where it happens, reported by the entry
			  * point (flow_events.h) */
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_NOT_IP,	/* not IPv4: pkt.eth_proto tells what */
	PARSE_BAD_IP,	/* IPv4 header unusable: nothing can be trusted */
	PARSE_FRAGMENT, /* addresses valid, L4 absent or partial */
	PARSE_BAD_L4,	/* addresses valid, L4 header truncated/invalid */
	PARSE_OTHER_L4, /* addresses valid, protocol we do not balance */
};

/* Make sure the headers we read are in the linear area (veth/GRO may leave them paged). */
static __always_inline void pull_headers(struct __sk_buff *skb)
{
	/* Ethernet + VLAN + max IPv4 header + max TCP header. */
	__u32 want = ETH_HLEN + 4 + 60 + 60;

	if (want > skb->len)
		want = skb->len;
	if ((__u32)((long)skb->data_end - (long)skb->data) < want)
		bpf_skb_pull_data(skb, want);
}

static __always_inline int parse_eth(struct __sk_buff *skb, struct xlb_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
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
	return p->eth_proto == bpf_htons(ETH_P_IP) ? PARSE_OK : PARSE_NOT_IP;
}

/* RFC 1812 5.2.2: a router verifies the IPv4 header checksum. The kernel would drop a header
 * that fails it; it is garbage, not a packet whose (possibly flipped) addresses may become a flow.
 * A function of its own so the 60-byte copy never adds to a balancing path's stack. */
static __noinline int ipv4_header_csum_ok(struct __sk_buff *skb, __u32 off, __u32 len)
{
	__u32 hdr[15] = {}; /* the longest IPv4 header: 60 bytes */

	if (len < sizeof(struct iphdr) || len > sizeof(hdr))
		return 0;
	if (bpf_skb_load_bytes(skb, off, hdr, len))
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

/* The L4 header must lie inside the IPv4 packet (ip_end = l3_off + tot_len), not merely inside
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
		p->sport = uh->source;
		p->dport = uh->dest;
		p->l4_hlen = sizeof(*uh);
		return PARSE_OK;
	}
	if (p->proto == IPPROTO_ICMP) {
		struct icmphdr *ih = l4;

		if ((void *)(ih + 1) > data_end || p->l4_off + sizeof(*ih) > ip_end)
			return PARSE_BAD_L4;
		p->icmp_type = ih->type;
		return PARSE_OK;
	}
	return PARSE_OTHER_L4;
}

/* Fills p from the frame. Never writes to the packet. */
static __always_inline int parse_packet(struct __sk_buff *skb, struct xlb_pkt *p)
{
	void *data, *data_end;
	struct iphdr *iph;
	__u32 ihl_bytes;
	int rc;

	p->len = skb->len;
	rc = parse_eth(skb, p);
	if (rc != PARSE_OK)
		return rc;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	iph = data + p->l3_off;
	if ((void *)(iph + 1) > data_end)
		return PARSE_BAD_IP;
	if (iph->version != 4 || iph->ihl < 5)
		return PARSE_BAD_IP;
	ihl_bytes = iph->ihl * 4;
	p->tot_len = bpf_ntohs(iph->tot_len);
	/* The IPv4 length must cover its header and fit in the frame. */
	if (p->tot_len < ihl_bytes || p->l3_off + p->tot_len > skb->len)
		return PARSE_BAD_IP;
	if ((void *)iph + ihl_bytes > data_end)
		return PARSE_BAD_IP;
	if (ihl_bytes == sizeof(*iph) ? !ipv4_plain_header_csum_ok(iph)
				      : !ipv4_header_csum_ok(skb, p->l3_off, ihl_bytes))
		return PARSE_BAD_IP;

	p->saddr = iph->saddr;
	p->daddr = iph->daddr;
	p->proto = iph->protocol;
	p->ttl = iph->ttl;
	p->tos = iph->tos;
	p->l4_off = p->l3_off + ihl_bytes;

	/* MF set or a non-zero offset: L4 ports are absent or not ours to trust. */
	if (iph->frag_off & bpf_htons(0x3fff))
		return PARSE_FRAGMENT;
	return parse_l4((void *)iph + ihl_bytes, data_end, p);
}

#endif

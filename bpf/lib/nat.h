/* Address/port and TTL rewrites with incremental IPv4 and L4 checksum updates (RFC 1624), for
 * both families: IPv6 has no header checksum, its addresses are in the L4 pseudo-header alike. */
#ifndef XLB_BPF_NAT_H
#define XLB_BPF_NAT_H

#include <stddef.h>
#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/parse.h"
#include "lib/vlan.h"

/* Where the L4 checksum sits; 0 when the protocol has none we maintain. */
static __always_inline __u32 l4_csum_off(const struct xlb_pkt *p)
{
	if (p->proto == IPPROTO_TCP)
		return p->l4_off + offsetof(struct tcphdr, check);
	if (p->proto == IPPROTO_UDP)
		return p->l4_off + offsetof(struct udphdr, check);
	return 0;
}

/* The packet's IPv4 header for direct access (parse_packet pulled the headers into the linear
 * area), or NULL. Direct writes instead of bpf_skb_store_bytes: a helper call per field was
 * most of a rewrite's cost (docs/benchmarks.md). */
static __always_inline struct iphdr *pkt_iph(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u32 off = p->l3_off;
	struct iphdr *iph;

	if (off > XLB_L3_OFF_MAX) /* bounds the offset for the verifier */
		return NULL;
	iph = data + off;
	if ((void *)(iph + 1) > data_end)
		return NULL;
	return iph;
}

/* The same for an IPv6 header. */
static __always_inline struct ipv6hdr *pkt_ip6h(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u32 off = p->l3_off;
	struct ipv6hdr *ip6h;

	if (off > XLB_L3_OFF_MAX)
		return NULL;
	ip6h = data + off;
	if ((void *)(ip6h + 1) > data_end)
		return NULL;
	return ip6h;
}

/* The L4 source and destination ports (same offsets in TCP and UDP), or NULL. */
static __always_inline __be16 *pkt_ports(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u32 off = p->l4_off;
	__be16 *ports;

	if (off > XLB_L4_OFF_MAX)
		return NULL;
	ports = data + off;
	if ((void *)(ports + 2) > data_end)
		return NULL;
	return ports;
}

/* Folds a change of the L4 header's inputs into its checksum (ctx_l4_csum_diff). Pseudo-header
 * changes (addresses) and payload changes (ports) need one call each, since a TC packet's
 * CHECKSUM_PARTIAL sum takes the former and ignores the latter. A UDP checksum of 0 ("none")
 * stays 0 (BPF_F_MARK_MANGLED_0), and a computed 0 is sent as 0xffff. */
static __always_inline int l4_csum_update(struct xlb_ctx *ctx, const struct xlb_pkt *p, __u64 diff,
					  __u64 flags)
{
	__u32 off = l4_csum_off(p);

	if (!off)
		return 0;
	if (p->proto == IPPROTO_UDP)
		flags |= BPF_F_MARK_MANGLED_0;
	return ctx_l4_csum_diff(ctx, off, diff, flags);
}

/* Writes the addresses into the IP header; IPv4's header checksum follows (addr_diff). */
static __always_inline int store_addrs(struct xlb_ctx *ctx, const struct xlb_pkt *p,
				       const struct xlb_tuple *t, __u64 addr_diff)
{
	if (pkt_is_v6(p)) {
		struct ipv6hdr *ip6h = pkt_ip6h(ctx, p);

		if (!ip6h)
			return -1;
		__builtin_memcpy(&ip6h->saddr, &t->saddr, sizeof(t->saddr));
		__builtin_memcpy(&ip6h->daddr, &t->daddr, sizeof(t->daddr));
		return 0;
	}
	struct iphdr *iph = pkt_iph(ctx, p);

	if (!iph)
		return -1;
	iph->saddr = t->saddr.w[0];
	iph->daddr = t->daddr.w[0];
	iph->check = csum16_apply(iph->check, addr_diff);
	return 0;
}

/* Rewrites the packet's 4-tuple to t, in place, keeping the IPv4 and L4 checksums valid
 * (incrementally, RFC 1624). Ports are rewritten for TCP and UDP only. */
static __always_inline int rewrite_tuple(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					 const struct xlb_tuple *t)
{
	int addrs = !ip_equal(&t->saddr, &p->saddr) || !ip_equal(&t->daddr, &p->daddr);
	int ports = l4_csum_off(p) && (t->sport != p->sport || t->dport != p->dport);
	__u64 addr_diff = 0, port_diff = 0;
	__be16 *l4;

	if (addrs) {
		addr_diff =
		    csum_diff_ip(csum_diff_ip(0, p->saddr.w, t->saddr.w), p->daddr.w, t->daddr.w);
		if (store_addrs(ctx, p, t, addr_diff))
			return -1;
	}
	if (ports) {
		l4 = pkt_ports(ctx, p);
		if (!l4)
			return -1;
		port_diff = csum_diff16(csum_diff16(0, p->sport, t->sport), p->dport, t->dport);
		l4[0] = t->sport;
		l4[1] = t->dport;
	}
	/* The helpers last: they invalidate the packet pointers used above. */
	if (addrs && l4_csum_update(ctx, p, addr_diff, BPF_F_PSEUDO_HDR))
		return -1;
	if (ports && l4_csum_update(ctx, p, port_diff, 0))
		return -1;
	return 0;
}

/* Sets the TTL (IPv6: hop limit, no checksum), keeping the IPv4 header checksum valid. TTL
 * shares a 16-bit word with protocol. */
static __always_inline int set_ttl(struct xlb_ctx *ctx, const struct xlb_pkt *p, __u8 ttl)
{
	__u16 old_word = bpf_htons(((__u16)p->ttl << 8) | p->proto);
	__u16 new_word = bpf_htons(((__u16)ttl << 8) | p->proto);
	struct iphdr *iph;

	if (pkt_is_v6(p)) {
		struct ipv6hdr *ip6h = pkt_ip6h(ctx, p);

		if (!ip6h)
			return -1;
		ip6h->hop_limit = ttl;
		return 0;
	}
	iph = pkt_iph(ctx, p);
	if (!iph)
		return -1;
	iph->ttl = ttl;
	iph->check = csum16_apply(iph->check, csum_diff16(0, old_word, new_word));
	return 0;
}

#endif

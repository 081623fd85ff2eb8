/* Address/port rewrites with incremental IPv4 and L4 checksum updates (RFC 1624 via helpers). */
#ifndef XLB_BPF_NAT_H
#define XLB_BPF_NAT_H

#include <stddef.h>
#include "lib/parse.h"

/* Where the L4 checksum sits; 0 when the protocol has none we maintain. */
static __always_inline __u32 l4_csum_off(const struct xlb_pkt *p)
{
	if (p->proto == IPPROTO_TCP)
		return p->l4_off + offsetof(struct tcphdr, check);
	if (p->proto == IPPROTO_UDP)
		return p->l4_off + offsetof(struct udphdr, check);
	return 0;
}

/* UDP checksum 0 means "none": leave it so, and never produce 0 from a real sum. */
static __always_inline int l4_csum_flags(struct __sk_buff *skb, const struct xlb_pkt *p,
					 __u64 *flags)
{
	*flags = 0;
	if (p->proto == IPPROTO_UDP) {
		__u16 check;

		if (bpf_skb_load_bytes(skb, l4_csum_off(p), &check, sizeof(check)))
			return -1;
		if (check == 0)
			return 1; /* no checksum to update */
		*flags = BPF_F_MARK_MANGLED_0;
	}
	return 0;
}

static __always_inline int rewrite_addr(struct __sk_buff *skb, const struct xlb_pkt *p,
					__u32 field_off, __u32 old_addr, __u32 new_addr)
{
	__u32 csum_off = l4_csum_off(p);
	__u64 flags;
	int skip;

	if (old_addr == new_addr)
		return 0;
	skip = l4_csum_flags(skb, p, &flags);
	if (skip < 0)
		return -1;
	if (csum_off && !skip &&
	    bpf_l4_csum_replace(skb, csum_off, old_addr, new_addr,
				flags | BPF_F_PSEUDO_HDR | sizeof(new_addr)))
		return -1;
	if (bpf_l3_csum_replace(skb, p->l3_off + offsetof(struct iphdr, check), old_addr, new_addr,
				sizeof(new_addr)))
		return -1;
	return bpf_skb_store_bytes(skb, p->l3_off + field_off, &new_addr, sizeof(new_addr), 0);
}

static __always_inline int rewrite_port(struct __sk_buff *skb, const struct xlb_pkt *p,
					__u32 field_off, __u16 old_port, __u16 new_port)
{
	__u32 csum_off = l4_csum_off(p);
	__u64 flags;
	int skip;

	if (old_port == new_port || !csum_off)
		return 0;
	skip = l4_csum_flags(skb, p, &flags);
	if (skip < 0)
		return -1;
	if (!skip &&
	    bpf_l4_csum_replace(skb, csum_off, old_port, new_port, flags | sizeof(new_port)))
		return -1;
	return bpf_skb_store_bytes(skb, p->l4_off + field_off, &new_port, sizeof(new_port), 0);
}

/* Rewrites the packet's 4-tuple to (saddr, daddr, sport, dport); unchanged fields are skipped.
 * Ports sit at the same offsets in TCP and UDP. */
static __always_inline int rewrite_tuple(struct __sk_buff *skb, const struct xlb_pkt *p,
					 __u32 saddr, __u32 daddr, __u16 sport, __u16 dport)
{
	if (rewrite_addr(skb, p, offsetof(struct iphdr, saddr), p->saddr, saddr) ||
	    rewrite_addr(skb, p, offsetof(struct iphdr, daddr), p->daddr, daddr) ||
	    rewrite_port(skb, p, offsetof(struct tcphdr, source), p->sport, sport) ||
	    rewrite_port(skb, p, offsetof(struct tcphdr, dest), p->dport, dport))
		return -1;
	return 0;
}

/* Sets the TTL, keeping the IPv4 header checksum valid. TTL shares a 16-bit word with protocol. */
static __always_inline int set_ttl(struct __sk_buff *skb, const struct xlb_pkt *p, __u8 ttl)
{
	__u16 old_word = bpf_htons(((__u16)p->ttl << 8) | p->proto);
	__u16 new_word = bpf_htons(((__u16)ttl << 8) | p->proto);

	if (bpf_l3_csum_replace(skb, p->l3_off + offsetof(struct iphdr, check), old_word, new_word,
				sizeof(new_word)))
		return -1;
	return bpf_skb_store_bytes(skb, p->l3_off + offsetof(struct iphdr, ttl), &ttl, sizeof(ttl),
				   0);
}

#endif

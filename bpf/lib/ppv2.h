/* Proxy Protocol v2 (HAProxy's doc/proxy-protocol.txt): the client's address travels to the
 * endpoint as a binary header in front of the client's first byte (28 bytes for TCP over IPv4,
 * 52 over IPv6). The LB inserts it
 * into the TCP stream, so afterwards every client sequence number is shifted up by its length
 * and every endpoint acknowledgement (and SACK block) down.
 *
 * The header goes into any client packet that starts at the first payload sequence number
 * while the endpoint has not acknowledged the header yet: normally the handshake's ACK, and
 * again into a retransmission if that packet was lost, so a lost header never wedges a flow.
 * The endpoint receiving it twice sees duplicate bytes, which TCP discards. */
#ifndef XLB_BPF_PPV2_H
#define XLB_BPF_PPV2_H

#include "xlb/abi/conntrack.h"

#include "lib/nat.h"
#include "lib/parse.h"

#define XLB_PPV2_LEN 28	 /* 16-byte preamble + IPv4 addresses and ports (12) */
#define XLB_PPV2_LEN6 52 /* 16-byte preamble + IPv6 addresses and ports (36) */
#define XLB_TCP_OPT_SACK 5

struct xlb_ppv2_hdr {
	__u8 signature[12];
	__u8 ver_cmd;
	__u8 family; /* 0x11 TCP over IPv4, 0x21 TCP over IPv6 */
	__be16 len;  /* of the address block: 12 or 36 */
	union {
		struct {
			__be32 src_addr;
			__be32 dst_addr;
			__be16 src_port;
			__be16 dst_port;
		} v4;
		struct {
			__u8 src_addr[16];
			__u8 dst_addr[16];
			__be16 src_port;
			__be16 dst_port;
		} v6;
	};
} __attribute__((packed));

/* Enables the header on a new flow's orig entry: payload starts right after the SYN. */
static __always_inline void ppv2_arm(struct xlb_ct_entry *orig, const struct xlb_pkt *p)
{
	orig->ppv2_seq = p->tcp_seq + 1;
	orig->ppv2_len = pkt_is_v6(p) ? XLB_PPV2_LEN6 : XLB_PPV2_LEN;
	orig->ppv2_flags = XLB_PPV2_F_ON;
}

#ifndef XLB_HOOK_XDP /* inserting the header needs an skb: XDP hands such flows to TC */
/* Per-CPU scratch for the insertion, which runs three calls deep: off the 512-byte stack. */
struct xlb_ppv2_scratch {
	__u8 tcph[60];
	struct xlb_ppv2_hdr hdr;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct xlb_ppv2_scratch);
	__uint(max_entries, 1);
} xlb_ppv2_scratch SEC(".maps");

/* Rewrites one 32-bit TCP field (seq at 4, ack at 8, or a SACK edge) with checksum upkeep. */
static __always_inline int tcp_set_u32(struct xlb_ctx *ctx, const struct xlb_pkt *p, __u32 off,
				       __u32 old_host, __u32 new_host)
{
	__be32 old_val = bpf_htonl(old_host), new_val = bpf_htonl(new_host);

	if (old_host == new_host)
		return 0;
	if (bpf_l4_csum_replace(ctx, p->l4_off + offsetof(struct tcphdr, check), old_val, new_val,
				sizeof(new_val)))
		return -1;
	return bpf_skb_store_bytes(ctx, p->l4_off + off, &new_val, sizeof(new_val), 0);
}

/* Inserts the header between the TCP header and the payload. The addresses are the packet's
 * own (client -> VIP), so this runs before any NAT rewrite. */
static __noinline int ppv2_insert(struct xlb_ctx *ctx, const struct xlb_pkt *p)
{
	static const __u8 signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
	__u32 zero = 0;
	struct xlb_ppv2_scratch *s = bpf_map_lookup_elem(&xlb_ppv2_scratch, &zero);
	__u32 thl = p->l4_hlen;
	__u32 check_off = p->l4_off + offsetof(struct tcphdr, check);
	int v6 = pkt_is_v6(p);
	__u32 hlen = v6 ? XLB_PPV2_LEN6 : XLB_PPV2_LEN;
	__be16 old_tot = bpf_htons(p->tot_len), new_tot = bpf_htons(p->tot_len + hlen);
	__be16 old_l4 = bpf_htons(p->tot_len - (p->l4_off - p->l3_off));
	__be16 new_l4 = bpf_htons(p->tot_len - (p->l4_off - p->l3_off) + hlen);
	__s64 payload_sum;

	if (!s || thl < 20 || thl > 60)
		return -1;
	__builtin_memcpy(s->hdr.signature, signature, sizeof(signature));
	s->hdr.ver_cmd = 0x21; /* version 2, PROXY */
	if (v6) {
		s->hdr.family = 0x21; /* AF_INET6, STREAM */
		s->hdr.len = bpf_htons(36);
		__builtin_memcpy(s->hdr.v6.src_addr, &p->saddr, 16);
		__builtin_memcpy(s->hdr.v6.dst_addr, &p->daddr, 16);
		s->hdr.v6.src_port = p->sport;
		s->hdr.v6.dst_port = p->dport;
	} else {
		s->hdr.family = 0x11; /* AF_INET, STREAM */
		s->hdr.len = bpf_htons(12);
		s->hdr.v4.src_addr = p->saddr.w[0];
		s->hdr.v4.dst_addr = p->daddr.w[0];
		s->hdr.v4.src_port = p->sport;
		s->hdr.v4.dst_port = p->dport;
	}
	if (bpf_skb_load_bytes(ctx, p->l4_off, s->tcph, thl))
		return -1;
	/* Room opens between the IP and TCP headers; the TCP header then moves back in front of
	 * it. */
	if (bpf_skb_adjust_room(ctx, hlen, BPF_ADJ_ROOM_NET, 0))
		return -1;
	if (bpf_skb_store_bytes(ctx, p->l4_off, s->tcph, thl, 0) ||
	    bpf_skb_store_bytes(ctx, p->l4_off + thl, &s->hdr, v6 ? XLB_PPV2_LEN6 : XLB_PPV2_LEN,
				0))
		return -1;
	/* IP length (IPv4: and its checksum; IPv6: the payload length, no checksum); TCP
	 * pseudo-header length; the inserted bytes' sum. */
	if (v6) {
		__be16 payload_len = bpf_htons(p->tot_len - 40 + hlen);

		if (bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct ipv6hdr, payload_len),
					&payload_len, sizeof(payload_len), 0))
			return -1;
	} else if (bpf_l3_csum_replace(ctx, p->l3_off + offsetof(struct iphdr, check), old_tot,
				       new_tot, sizeof(new_tot)) ||
		   bpf_skb_store_bytes(ctx, p->l3_off + offsetof(struct iphdr, tot_len), &new_tot,
				       sizeof(new_tot), 0)) {
		return -1;
	}
	if (bpf_l4_csum_replace(ctx, check_off, old_l4, new_l4, BPF_F_PSEUDO_HDR | sizeof(new_l4)))
		return -1;
	payload_sum = bpf_csum_diff(0, 0, (__be32 *)&s->hdr, v6 ? XLB_PPV2_LEN6 : XLB_PPV2_LEN, 0);
	if (payload_sum < 0 || bpf_l4_csum_replace(ctx, check_off, 0, payload_sum, 0))
		return -1;
	return 0;
}

/* Client -> endpoint: insert the header, or shift the sequence number past it. */
static __always_inline int ppv2_from_client(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					    struct xlb_ct_entry *orig)
{
	__u32 base = orig->ppv2_seq;

	if (p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_RST))
		return 0;
	if (p->tcp_seq == base && !(orig->ppv2_flags & XLB_PPV2_F_ACKED))
		return ppv2_insert(ctx, p);
	if ((__s32)(p->tcp_seq - base) >= 0)
		return tcp_set_u32(ctx, p, offsetof(struct tcphdr, seq), p->tcp_seq,
				   p->tcp_seq + orig->ppv2_len);
	return 0;
}

/* Maps an endpoint's view of the client's sequence space back to the client's. */
static __always_inline __u32 ppv2_unshift(__u32 value, __u32 base, __u32 len)
{
	if ((__s32)(value - (base + len)) >= 0)
		return value - len;
	if ((__s32)(value - base) > 0)
		return base; /* part of the header acknowledged: nothing of the client's yet */
	return value;
}

struct sack_walk {
	struct xlb_ctx *ctx;
	const struct xlb_pkt *p;
	__u32 base;
	__u32 len;
	/* Narrow: the walk is on the stack of the deepest call chain (ppv2_unshift_sack). */
	__u16 pos; /* option offset from the TCP header start (in a SACK option: its next edge) */
	__u16 sack_end;	 /* in a SACK option: where its edges end (at most 8 of them), else 0 */
	__u16 sack_next; /* in a SACK option: the next option's offset */
	__u8 opts;	 /* options stepped over */
	__u8 err;
};

/* One step per call: a TCP option (at most 20 of them), or one edge of a SACK option, which it
 * rewrites. One edge per step, not a loop over a SACK option's edges inside the step: the
 * verifier walked that inner loop edge by edge for every state it checked the step in, more
 * than half of the TC program's verification. */
static long sack_step(__u32 i, void *data)
{
	struct sack_walk *w = data;
	__u8 kind_len[2];
	__u32 edge, fixed, off = w->pos;

	if (w->sack_end) {
		if (off + 4 > w->sack_end || off + 4 > w->p->l4_hlen ||
		    bpf_skb_load_bytes(w->ctx, w->p->l4_off + (off & 63), &edge, 4)) {
			w->pos = w->sack_next; /* the option's last edge is done */
			w->sack_end = 0;
			return 0;
		}
		edge = bpf_ntohl(edge);
		fixed = ppv2_unshift(edge, w->base, w->len);
		if (tcp_set_u32(w->ctx, w->p, off & 63, edge, fixed))
			w->err = 1;
		w->pos = off + 4;
		return 0;
	}
	if (w->opts >= 20)
		return 1;
	w->opts++;
	if (off + 2 > w->p->l4_hlen || off >= 60)
		return 1;
	if (bpf_skb_load_bytes(w->ctx, w->p->l4_off + off, kind_len, 1))
		return 1;
	if (kind_len[0] == 0) /* end of options */
		return 1;
	if (kind_len[0] == 1) { /* no-op padding */
		w->pos = off + 1;
		return 0;
	}
	if (bpf_skb_load_bytes(w->ctx, w->p->l4_off + off, kind_len, 2) || kind_len[1] < 2)
		return 1;
	if (kind_len[0] == XLB_TCP_OPT_SACK) { /* up to 4 blocks of (left, right) */
		w->sack_end = off + (kind_len[1] < 2 + 8 * 4 ? kind_len[1] : 2 + 8 * 4);
		w->sack_next = off + kind_len[1];
		w->pos = off + 2;
		return 0;
	}
	w->pos = off + kind_len[1];
	return 0;
}

/* Rewrites the SACK blocks of an endpoint's packet (its TCP header has options). Global: the
 * verifier checks it, and its bpf_loop's steps, once, not once per state of follow_flow's that
 * reaches it (a fifth of the TC program's verification). */
__noinline int ppv2_unshift_sack(struct xlb_ctx *ctx, const struct xlb_pkt *p, __u32 base,
				 __u32 len)
{
	struct sack_walk walk = {.ctx = ctx, .p = p, .base = base, .len = len, .pos = 20};

	if (!p)
		return -1; /* never: the caller passes a valid one */
	/* 20 options, and the edges of SACK options (the option area's 40 bytes hold at most 9,
	 * each followed by one step that leaves its option): fewer than 60 steps. */
	bpf_loop(60, sack_step, &walk, 0);
	return walk.err ? -1 : 0;
}

/* Endpoint -> client: acknowledgements and SACK blocks lose the header's length. */
static __always_inline int ppv2_from_endpoint(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					      struct xlb_ct_entry *orig)
{
	__u32 base = orig->ppv2_seq, len = orig->ppv2_len;

	if (!(p->tcp_flags & XLB_TCP_ACK))
		return 0;
	if ((__s32)(p->tcp_ack - (base + len)) >= 0)
		orig->ppv2_flags |= XLB_PPV2_F_ACKED;
	if (tcp_set_u32(ctx, p, offsetof(struct tcphdr, ack_seq), p->tcp_ack,
			ppv2_unshift(p->tcp_ack, base, len)))
		return -1;
	return p->l4_hlen > 20 ? ppv2_unshift_sack(ctx, p, base, len) : 0;
}

#endif /* XLB_HOOK_XDP */

#endif

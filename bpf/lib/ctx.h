/* The hook's packet context: one packet library, compiled once per hook. xlb_tc.bpf.c builds it
 * for TC (struct __sk_buff), xlb_xdp.bpf.c for XDP (struct xdp_md, XLB_HOOK_XDP defined before
 * any lib/ header). Library code names the context `struct xlb_ctx` and touches it only through
 * the ctx_* functions here, so the packet logic exists once. What only an skb can do (PPv2
 * insertion, ICMP error translation, answering "too big", VLAN tags, the L7 hand-off, an
 * unresolved neighbour) is compiled for TC only; XDP hands those packets to TC (XLB_IS_XDP,
 * docs/architecture.md "XDP fast path"). */
#ifndef XLB_BPF_CTX_H
#define XLB_BPF_CTX_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "lib/csum.h"

#ifdef XLB_HOOK_XDP
#define xlb_ctx xdp_md
#define XLB_IS_XDP 1
#define XLB_ACT_PASS XDP_PASS
#define XLB_ACT_DROP XDP_DROP
#define XLB_ACT_REDIRECT XDP_REDIRECT
#define XLB_ACT_TX XDP_TX
#else
#define xlb_ctx __sk_buff
#define XLB_IS_XDP 0
#define XLB_ACT_PASS TC_ACT_OK
#define XLB_ACT_DROP TC_ACT_SHOT
#define XLB_ACT_REDIRECT TC_ACT_REDIRECT
#define XLB_ACT_TX TC_ACT_REDIRECT /* TC sends back out with a redirect to the ingress */
#endif

static __always_inline void *ctx_data(const struct xlb_ctx *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *ctx_data_end(const struct xlb_ctx *ctx)
{
	return (void *)(long)ctx->data_end;
}

/* The frame's length (an XDP frame is linear: multi-buffer programs are not loaded). */
static __always_inline __u32 ctx_len(const struct xlb_ctx *ctx)
{
#ifdef XLB_HOOK_XDP
	long len = (long)ctx_data_end(ctx) - (long)ctx_data(ctx);

	/* A scalar from here: else clang folds it into 32-bit pointer arithmetic the verifier
	 * refuses. */
	asm volatile("" : "+r"(len));
	return (__u32)len;
#else
	return ctx->len;
#endif
}

static __always_inline __u32 ctx_ifindex(const struct xlb_ctx *ctx)
{
#ifdef XLB_HOOK_XDP
	return ctx->ingress_ifindex;
#else
	return ctx->ifindex;
#endif
}

/* A tag the NIC took out of the frame (TC only: XDP sees tags in the frame, or not at all). */
static __always_inline int ctx_vlan_accel(const struct xlb_ctx *ctx)
{
#ifdef XLB_HOOK_XDP
	return 0;
#else
	return ctx->vlan_present;
#endif
}

static __always_inline long ctx_load_bytes(const struct xlb_ctx *ctx, __u32 off, void *to,
					   __u32 len)
{
#ifdef XLB_HOOK_XDP
	return bpf_xdp_load_bytes((struct xdp_md *)ctx, off, to, len);
#else
	return bpf_skb_load_bytes(ctx, off, to, len);
#endif
}

static __always_inline long ctx_store_bytes(struct xlb_ctx *ctx, __u32 off, const void *from,
					    __u32 len)
{
#ifdef XLB_HOOK_XDP
	return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
#else
	return bpf_skb_store_bytes(ctx, off, from, len, 0);
#endif
}

/* Headers into the linear area, where direct access reaches them (XDP: always there). */
static __always_inline void ctx_pull(struct xlb_ctx *ctx, __u32 want)
{
#ifndef XLB_HOOK_XDP
	if (want > ctx->len)
		want = ctx->len;
	if ((__u32)((long)ctx->data_end - (long)ctx->data) < want)
		bpf_skb_pull_data(ctx, want);
#endif
}

/* Folds the changes summed in diff (csum.h) into the L4 checksum at off. TC: the kernel's
 * helper, since only it knows whether the field holds a full checksum or a CHECKSUM_PARTIAL
 * pseudo-header sum (BPF_F_PSEUDO_HDR says which changes reach the latter). XDP: a frame
 * from the wire carries a full checksum, updated in place (RFC 1624); XDP has no
 * bpf_l4_csum_replace. BPF_F_MARK_MANGLED_0: a UDP checksum 0 ("none") stays 0 and a computed
 * 0 is sent as 0xffff, as the helper does. */
static __always_inline int ctx_l4_csum_diff(struct xlb_ctx *ctx, __u32 off, __u64 diff, __u64 flags)
{
#ifdef XLB_HOOK_XDP
	void *data = ctx_data(ctx), *data_end = ctx_data_end(ctx);
	__u16 *check;

	if (off > 512) /* bounds the offset for the verifier: an L4 header starts before it */
		return -1;
	check = data + off;
	if ((void *)(check + 1) > data_end)
		return -1;
	if ((flags & BPF_F_MARK_MANGLED_0) && *check == 0)
		return 0;
	*check = csum16_apply(*check, diff);
	if ((flags & BPF_F_MARK_MANGLED_0) && *check == 0)
		*check = 0xffff;
	return 0;
#else
	/* from = 0 and no field size: `to` is a checksum diff. */
	return bpf_l4_csum_replace(ctx, off, 0, csum_diff_wsum(diff), flags);
#endif
}

/* Sends the frame out of ifindex. XDP: out of the device it came in by is XDP_TX, cheaper
 * than a redirect to itself. Returns the hook's action (a failed redirect: not REDIRECT). */
static __always_inline long ctx_redirect(struct xlb_ctx *ctx, __u32 ifindex)
{
#ifdef XLB_HOOK_XDP
	if (ifindex == ctx->ingress_ifindex)
		return XDP_TX;
#endif
	return bpf_redirect(ifindex, 0);
}

/* Opens len bytes right after the Ethernet header (an outer IP header of a tunnel). The frame
 * has no in-band VLAN tag here (stripped before tunnelling). */
static __always_inline int ctx_open_after_eth(struct xlb_ctx *ctx, __u32 len, __u64 tc_flags)
{
#ifdef XLB_HOOK_XDP
	void *data, *data_end;

	/* The Ethernet header moves to the new front, packet to packet: no stack buffer (this runs
	 * below follow_flow's frame). len >= ETH_HLEN, so the copies do not overlap. */
	if (len < ETH_HLEN || len > 64 || bpf_xdp_adjust_head(ctx, -(int)len))
		return -1;
	data = ctx_data(ctx);
	data_end = ctx_data_end(ctx);
	if (data + len + ETH_HLEN > data_end) /* len: a constant at every (inlined) call */
		return -1;
	__builtin_memcpy(data, data + len, ETH_HLEN);
	return 0;
#else
	return bpf_skb_adjust_room(ctx, len, BPF_ADJ_ROOM_MAC, tc_flags);
#endif
}

/* Cuts or extends the frame to len bytes. */
static __always_inline int ctx_set_len(struct xlb_ctx *ctx, __u32 len)
{
#ifdef XLB_HOOK_XDP
	return bpf_xdp_adjust_tail(ctx, (int)len - (int)ctx_len(ctx));
#else
	return bpf_skb_change_tail(ctx, len, 0);
#endif
}

#endif

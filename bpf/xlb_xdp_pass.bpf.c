/* xlb_xdp_pass: an XDP program that passes every frame, for the far end of a veth whose near
 * end runs xlb's XDP program (xlbd --attach=xdp). A veth delivers the frames XDP sends into it
 * (XDP_TX back out of the same veth, or XDP_REDIRECT from another interface) only when its peer
 * runs NAPI; GRO on the peer gives NAPI for redirected frames but not for XDP_TX ones, so
 * one-arm layouts (ARP/echo answers, forwarding back out of the arriving interface) need an XDP
 * program on the peer. This is the smallest such program:
 *   ip link set dev PEER xdpdrv obj /usr/lib/xlb/xlb_xdp_pass.bpf.o sec xdp
 * Physical NICs do not need it (docs/modes.md, "XDP and veth"). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xlb_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

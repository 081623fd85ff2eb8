/* xlb_steer: BPF sk_lookup program, attached to xlbd's network namespace. A TCP connection to a
 * fullproxy VIP:port (a rule-map entry of mode XLB_MODE_PROXY) goes to xlb-proxy's listener,
 * whatever address that listener is bound to; the kernel's reuseport group then picks one of
 * the proxy's per-core listeners. Everything else takes the kernel's ordinary lookup.
 * It runs only for packets the kernel delivers locally: the TC program marks the VIP:port's
 * packets and xlbd's policy route on that mark makes them local, without the VIP being an
 * address of the host (so the kernel never answers ARP or Neighbor Solicitations for it).
 * IPv4 and IPv6 VIPs alike: the listener is a dual-stack IPv6 socket, which the kernel accepts
 * for both families' lookups (an IPv4 connection arrives at the proxy IPv4-mapped). */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/svc_map.h"

char LICENSE[] SEC("license") = "GPL";

#define XLB_AF_INET_SOCK 2   /* AF_INET: not in the uapi headers the BPF side includes */
#define XLB_AF_INET6_SOCK 10 /* AF_INET6 */

/* Slot 0: the listener xlbd created for xlb-proxy (one of its reuseport group). Not pinned:
 * it lives as long as the xlbd that owns the listener. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} xlb_proxy_sock SEC(".maps");

SEC("sk_lookup")
int xlb_steer(struct bpf_sk_lookup *ctx)
{
	struct xlb_svc_key key = {};
	struct xlb_svc *svc;
	struct bpf_sock *sk;
	__u32 zero = 0;
	long err;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	if (ctx->family == XLB_AF_INET_SOCK) {
		key.vip.w[0] = ctx->local_ip4;
		key.family = XLB_AF_INET;
	} else if (ctx->family == XLB_AF_INET6_SOCK) {
		/* Network order, like the rule map's 16-byte addresses. */
		key.vip.w[0] = ctx->local_ip6[0];
		key.vip.w[1] = ctx->local_ip6[1];
		key.vip.w[2] = ctx->local_ip6[2];
		key.vip.w[3] = ctx->local_ip6[3];
		key.family = XLB_AF_INET6;
	} else {
		return SK_PASS;
	}
	key.port = bpf_htons((__u16)ctx->local_port); /* local_port is in host order */
	key.proto = IPPROTO_TCP;
	svc = bpf_map_lookup_elem(&XLB_MAP_SVC_ID, &key);
	if (!svc || svc->mode != XLB_MODE_PROXY)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&xlb_proxy_sock, &zero);
	if (!sk)
		return SK_PASS; /* no listener yet: the kernel finds none and resets */
	/* Refused (-EAFNOSUPPORT) only if the listener were IPv6-only or IPv4 for an IPv6 VIP. */
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

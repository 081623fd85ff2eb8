/* XDP programs of the Mpps benchmark (bench/mpps.sh), bench-only, loaded by bench/mpps_tool:
 *  count_drop     on the link just past the LB: counts and drops the generated traffic (IPv4
 *                 UDP), passes everything else (ARP must still resolve the LB's next hops);
 *  redirect_only  on the LB's client-side link: rewrites the MACs and redirects IPv4 UDP to the
 *                 backend-side link, nothing else: this machine's XDP forwarding limit for the
 *                 same input, what an XDP load balancer can approach but not pass.
 * Both count in mpps_packets (per CPU): count_drop what arrived, redirect_only what it sent. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load (redirect_only). */
const volatile __u32 mpps_redirect_ifindex = 0;
const volatile __u8 mpps_redirect_src_mac[ETH_ALEN] = {};
const volatile __u8 mpps_redirect_dst_mac[ETH_ALEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mpps_packets SEC(".maps");

/* The Ethernet header of an IPv4 UDP frame, or NULL for anything else. */
static __always_inline struct ethhdr *mpps_udp_frame(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return NULL;
	return ip->protocol == IPPROTO_UDP ? eth : NULL;
}

static __always_inline void mpps_count(void)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&mpps_packets, &key);

	if (n)
		*n += 1;
}

SEC("xdp")
int count_drop(struct xdp_md *ctx)
{
	if (!mpps_udp_frame(ctx))
		return XDP_PASS;
	mpps_count();
	return XDP_DROP;
}

SEC("xdp")
int redirect_only(struct xdp_md *ctx)
{
	struct ethhdr *eth = mpps_udp_frame(ctx);

	if (!eth)
		return XDP_PASS;
	/* Byte by byte: a volatile read each, so the compiler cannot fold the loader's values. */
	for (int i = 0; i < ETH_ALEN; i++) {
		eth->h_source[i] = mpps_redirect_src_mac[i];
		eth->h_dest[i] = mpps_redirect_dst_mac[i];
	}
	mpps_count();
	return bpf_redirect(mpps_redirect_ifindex, 0);
}

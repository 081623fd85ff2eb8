/* Benchmark baselines for bench/datapath_bench, built from the datapath's own library steps:
 * empty (the cost of running a program at all), parse_only (pull_headers + parse_packet),
 * parse_route (+ the FIB lookup xlb does per packet) and stateless_nat (+ the DNAT rewrite and
 * redirect to the address and port in cb[0], cb[1]: xlb's path without conntrack, rules and
 * counters), ct_miss and ct_insert2 (conntrack alone: a lookup that misses, the two inserts
 * of a new flow). The gaps between them and xlb_tc say where a packet's time goes. */
#include "lib/fwd.h"
#include "lib/parse.h"
#include "xlb/abi/conntrack.h"

#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

/* The XDP rows' baseline (datapath_bench): the hook's own cost, subtracted from xlb_xdp's. */
SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int parse_only(struct __sk_buff *skb)
{
	struct xlb_pkt p = {};
	int rc;

	pull_headers(skb);
	rc = parse_packet(skb, &p);
	/* Use the parsed tuple, so the compiler cannot drop the parse. */
	skb->cb[0] =
	    p.saddr.w[0] ^ p.saddr.w[3] ^ p.daddr.w[0] ^ p.daddr.w[3] ^ p.sport ^ p.dport ^ p.proto;
	return rc == PARSE_OK ? TC_ACT_OK : TC_ACT_UNSPEC;
}

SEC("tc")
int parse_route(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct xlb_pkt p = {};

	pull_headers(skb);
	if (parse_packet(skb, &p) != PARSE_OK)
		return TC_ACT_UNSPEC;
	if (route_lookup(skb, &p, &p.saddr, &p.daddr, p.sport, p.dport, 0, &fib) != ROUTE_OK)
		return TC_ACT_UNSPEC;
	return TC_ACT_OK;
}

SEC("tc")
int stateless_nat(struct __sk_buff *skb)
{
	struct xlb_tuple t = {};
	struct bpf_fib_lookup fib;
	struct xlb_pkt p = {};
	int route;

	pull_headers(skb);
	if (parse_packet(skb, &p) != PARSE_OK)
		return TC_ACT_UNSPEC;
	t.saddr = p.saddr;
	t.daddr.w[0] = skb->cb[0]; /* an IPv4 endpoint */
	t.sport = p.sport;
	t.dport = (__u16)skb->cb[1];
	route = route_lookup(skb, &p, &t.saddr, &t.daddr, t.sport, t.dport, 0, &fib);
	if (route != ROUTE_OK)
		return TC_ACT_UNSPEC;
	if (rewrite_tuple(skb, &p, &t))
		return TC_ACT_SHOT;
	return forward(skb, &p, route, &fib);
}

/* What conntrack costs on its own, in a map of xlb's key and value types (not pinned: the
 * bench's own; sized by the loader). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct xlb_ct_key);
	__type(value, struct xlb_ct_entry);
	__uint(max_entries, 1024); /* set at load */
} bench_ct SEC(".maps");

static __always_inline int bench_ct_key(struct __sk_buff *skb, struct xlb_pkt *p,
					struct xlb_ct_key *k)
{
	pull_headers(skb);
	if (parse_packet(skb, p) != PARSE_OK)
		return -1;
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(&k->saddr, &p->saddr, sizeof(p->saddr));
	__builtin_memcpy(&k->daddr, &p->daddr, sizeof(p->daddr));
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
	k->family = p->family;
	return 0;
}

/* parse + one conntrack lookup that misses: what a packet not for the LB pays per lookup. */
SEC("tc")
int ct_miss(struct __sk_buff *skb)
{
	struct xlb_ct_key k;
	struct xlb_pkt p = {};

	if (bench_ct_key(skb, &p, &k))
		return TC_ACT_UNSPEC;
	return bpf_map_lookup_elem(&bench_ct, &k) ? TC_ACT_UNSPEC : TC_ACT_OK;
}

/* parse + the two inserts of a new flow (its orig key and the reversed one), as xlb's
 * conntrack writes them: the floor under a new flow's cost in a two-entry design. */
SEC("tc")
int ct_insert2(struct __sk_buff *skb)
{
	struct xlb_ct_entry e = {};
	struct xlb_ct_key k, r;
	struct xlb_pkt p = {};

	if (bench_ct_key(skb, &p, &k))
		return TC_ACT_UNSPEC;
	r = k;
	r.saddr = k.daddr;
	r.daddr = k.saddr;
	r.sport = k.dport;
	r.dport = k.sport;
	if (bpf_map_update_elem(&bench_ct, &k, &e, BPF_NOEXIST) ||
	    bpf_map_update_elem(&bench_ct, &r, &e, BPF_NOEXIST))
		return TC_ACT_UNSPEC;
	return TC_ACT_OK;
}

/* Benchmark baselines for bench/datapath_bench, built from the datapath's own library steps:
 * empty (the cost of running a program at all), parse_only (pull_headers + parse_packet),
 * parse_route (+ the FIB lookup xlb does per packet) and stateless_nat (+ the DNAT rewrite and
 * redirect to the address and port in cb[0], cb[1]: xlb's path without conntrack, rules and
 * counters). The gaps between them and xlb_tc say where a packet's time goes. */
#include "lib/fwd.h"
#include "lib/parse.h"

#include <linux/pkt_cls.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
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

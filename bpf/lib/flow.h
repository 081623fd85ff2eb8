/* The load-balancing decision for TCP/UDP: follow a tracked flow, or start one for a rule. */
#ifndef XLB_BPF_FLOW_H
#define XLB_BPF_FLOW_H

#include "lib/conntrack.h"
#include "lib/fwd.h"
#include "lib/select.h"
#include "lib/stats.h"
#include "lib/vip.h"

/* Rewrites to tuple t and forwards along an already looked-up route. */
static __always_inline int translate_and_forward(struct __sk_buff *skb, const struct xlb_pkt *p,
						 const struct xlb_tuple *t, int route,
						 const struct bpf_fib_lookup *fib)
{
	if (rewrite_tuple(skb, p, t->saddr, t->daddr, t->sport, t->dport)) {
		stat_verdict(XLB_STAT_DROP_REWRITE);
		return TC_ACT_SHOT;
	}
	return forward(skb, p, route, fib);
}

/* A packet of a tracked flow: apply the stored translation. Not inlined, like start_flow, so
 * the two never share one 512-byte stack frame. */
static __noinline int follow_flow(struct __sk_buff *skb, const struct xlb_pkt *p,
				       const struct xlb_ct_key *key, struct xlb_ct_entry *e)
{
	struct bpf_fib_lookup fib;
	struct xlb_ct_entry *orig = e;
	struct xlb_ct_key peer;
	struct xlb_tuple t;
	int route;

	ct_translated(key, e, &t);
	route = route_lookup(skb, p, t.saddr, t.daddr, t.sport, t.dport, &fib);
	if (route == ROUTE_NONE) {
		stat_verdict(XLB_STAT_PASS_NO_ROUTE);
		return TC_ACT_OK;
	}
	if (e->dir == XLB_DIR_REPLY) {
		ct_peer_key(key, e, &peer);
		orig = bpf_map_lookup_elem(&xlb_ct_v1, &peer);
	}
	if (orig)
		ct_advance(orig, p, e->dir);
	ct_touch(e, p->len, bpf_ktime_get_ns());
	stat_flow(e->svc_id, e->ep_idx, p->len, 0);
	stat_verdict(XLB_STAT_FWD_EST);
	return translate_and_forward(skb, p, &t, route, &fib);
}

/* Writes both entries of a new NAT flow to endpoint ep. One entry struct is reused for both
 * to keep start_flow's stack frame small. */
static __always_inline int ct_create(const struct xlb_pkt *p, const struct xlb_svc *svc, __u32 ep_idx,
				     const struct xlb_endpoint *ep, const struct xlb_ct_key *orig_key)
{
	struct xlb_ct_entry e = {};
	struct xlb_ct_key reply_key;
	__u64 now = bpf_ktime_get_ns();

	e.state = ct_initial_state(p);
	e.mode = svc->mode;
	e.svc_id = svc->id;
	e.ep_idx = ep_idx;
	e.created_ns = now;
	e.last_seen_ns = now;

	/* Reply entry first: an orig entry without its reply would forward into a black hole. */
	e.nat_saddr.w[0] = p->daddr;
	e.nat_sport = p->dport;
	e.dir = XLB_DIR_REPLY;
	e.flags = XLB_CT_F_SNAT;
	ct_key_init(&reply_key, ep->addr.w[0], p->saddr, ep->port, p->sport, p->proto);
	if (bpf_map_update_elem(&xlb_ct_v1, &reply_key, &e, BPF_ANY))
		return -1;

	e.nat_saddr.w[0] = 0;
	e.nat_sport = 0;
	e.nat_daddr = ep->addr;
	e.nat_dport = ep->port;
	e.dir = XLB_DIR_ORIG;
	e.flags = XLB_CT_F_DNAT;
	e.packets = 1;
	e.bytes = p->len;
	if (bpf_map_update_elem(&xlb_ct_v1, orig_key, &e, BPF_ANY)) {
		bpf_map_delete_elem(&xlb_ct_v1, &reply_key);
		return -1;
	}
	return 0;
}

/* A packet to a rule with no live flow: pick an endpoint and start one. `stale` is the flow the
 * client's tuple used before (time-wait/closed), whose reply entry must go. */
static __noinline int start_flow(struct __sk_buff *skb, const struct xlb_pkt *p,
				      const struct xlb_svc *svc, const struct xlb_ct_key *key,
				      const struct xlb_ct_entry *stale)
{
	struct bpf_fib_lookup fib;
	struct xlb_endpoint ep;
	struct xlb_ct_key old_reply;
	struct xlb_tuple t;
	int idx, route;

	idx = select_endpoint(svc, p);
	if (idx < 0) {
		stat_verdict(XLB_STAT_DROP_NO_ENDPOINT);
		return TC_ACT_SHOT;
	}
	__builtin_memcpy(&ep, &svc->eps[idx & (XLB_MAX_ENDPOINTS - 1)], sizeof(ep));

	t.saddr = p->saddr;
	t.sport = p->sport;
	t.daddr = ep.addr.w[0];
	t.dport = ep.port;
	route = route_lookup(skb, p, t.saddr, t.daddr, t.sport, t.dport, &fib);
	if (route == ROUTE_NONE) {
		stat_verdict(XLB_STAT_PASS_NO_ROUTE);
		return TC_ACT_OK;
	}
	if (stale) {
		ct_peer_key(key, stale, &old_reply);
		bpf_map_delete_elem(&xlb_ct_v1, &old_reply);
	}
	if (ct_create(p, svc, idx, &ep, key)) {
		stat_verdict(XLB_STAT_DROP_CT_FULL);
		return TC_ACT_SHOT;
	}
	stat_flow(svc->id, idx, p->len, 1);
	stat_verdict(XLB_STAT_FWD_NEW);
	return translate_and_forward(skb, p, &t, route, &fib);
}

/* TCP or UDP, fully parsed, TTL checked. */
static __always_inline int balance(struct __sk_buff *skb, const struct xlb_pkt *p)
{
	struct xlb_ct_key key;
	struct xlb_ct_entry *e;
	struct xlb_svc_key skey = {};
	struct xlb_svc *svc;
	int new_syn = p->proto == IPPROTO_TCP &&
		      (p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_ACK)) == XLB_TCP_SYN;

	ct_key_init(&key, p->saddr, p->daddr, p->sport, p->dport, p->proto);
	e = bpf_map_lookup_elem(&xlb_ct_v1, &key);
	/* A fresh SYN on a finished flow's tuple (port reuse) starts over instead of stalling. */
	if (e && !(new_syn && e->dir == XLB_DIR_ORIG && tcp_flow_closed(e->state)))
		return follow_flow(skb, p, &key, e);

	skey.vip.w[0] = p->daddr;
	skey.port = p->dport;
	skey.proto = p->proto;
	skey.family = XLB_AF_INET;
	svc = bpf_map_lookup_elem(&xlb_svc_v1, &skey);
	if (!svc) {
		stat_verdict(is_vip(p->daddr) ? XLB_STAT_PASS_NO_RULE : XLB_STAT_PASS_NOT_VIP);
		return TC_ACT_OK;
	}
	/* A RST for a flow we do not know has nothing to reset: let the kernel have it. */
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & XLB_TCP_RST)) {
		stat_verdict(XLB_STAT_PASS_NO_RULE);
		return TC_ACT_OK;
	}
	return start_flow(skb, p, svc, &key, e);
}

#endif

/* The load-balancing decision for TCP/UDP: follow a tracked flow, or start one for a rule in
 * the rule's mode (NAT, FullNAT, DSR). Each start_* and follow_flow is its own BPF function so
 * none of them shares a 512-byte stack frame with another. Every path returns the packet's
 * verdict (verdict.h); nothing here counts it. */
#ifndef XLB_BPF_FLOW_H
#define XLB_BPF_FLOW_H

#include "lib/addr_filter.h"
#include "lib/clock.h"
#include "lib/conntrack.h"
#include "lib/dsr.h"
#include "lib/fwd.h"
#include "lib/nat64.h"
#include "lib/ppv2.h"
#include "lib/route_cache.h"
#include "lib/scratch.h"
#include "lib/select.h"
#include "lib/snat.h"
#include "lib/verdict.h"
#include "lib/vip.h"

/* Rewrites to tuple t and forwards along an already looked-up route; `sent` is the verdict if
 * the frame leaves. */
static __always_inline xlb_verdict translate_and_forward(struct xlb_ctx *ctx,
							 const struct xlb_pkt *p,
							 const struct xlb_tuple *t, int route,
							 const struct bpf_fib_lookup *fib,
							 xlb_verdict sent)
{
#ifndef XLB_HOOK_XDP
	if (p->nat64) {
		int action = nat64_translate_and_redirect(ctx, p, t, route, fib);

		return action < 0 ? rewrite_failed() : verdict_sent(action, sent);
	}
#endif
	if (rewrite_tuple(ctx, p, t))
		return rewrite_failed();
	return verdict_sent(forward(ctx, p, route, fib), sent);
}

/* A packet of a tracked flow: apply the stored translation. `in_syn`: e is in the syn map.
 * Global, not static: the verifier checks it once for any entry pointer rather than once per
 * CT map the entry may come from (that doubled the program's verification cost); the price
 * is that it must check its pointer arguments for NULL itself. */
__noinline xlb_verdict follow_flow(struct xlb_ctx *ctx, struct xlb_pkt *p,
				   const struct xlb_ct_key *key, struct xlb_ct_entry *e, int in_syn)
{
	struct xlb_scratch *scratch = scratch_get();
	struct bpf_fib_lookup *fib;
	struct xlb_ct_entry *orig = e;
	const struct xlb_ct_key *orig_key = key;
	struct xlb_ct_key *peer;
	struct xlb_tuple t = {};
	xlb_verdict sent;
	int route, dsr, orig_in_syn = in_syn;

	if (!p || !key || !e || !scratch)
		return verdict_pass(
		    XLB_STAT_PASS_NOT_VIP); /* never: the caller passes valid ones */
	fib = &scratch->fib;
	dsr = e->mode == XLB_MODE_DSR;
	__u64 now = xlb_now_ns_in(scratch);
	p->nat64 = e->nat_family && e->nat_family != p->family;
	if (p->nat64)
		NAT64_OR_RETURN(ctx, p);

	if (dsr) {
		/* Only client -> endpoint passes the LB; the endpoint address rides in nat_daddr.
		 */
		route = route_lookup_cached(ctx, p, &p->saddr, &e->nat_daddr, p->sport, p->dport,
					    BPF_FIB_LOOKUP_SRC, fib, now);
	} else {
		ct_translated(key, e, &t);
		route =
		    route_lookup_cached(ctx, p, &t.saddr, &t.daddr, t.sport, t.dport, 0, fib, now);
	}
	if (route == ROUTE_NONE)
		return verdict_pass(XLB_STAT_PASS_NO_ROUTE);
	if (dsr && (e->flags & XLB_CT_F_IPIP)) {
		xlb_verdict refused = dsr_refuse_too_big(ctx, p, fib);

		if (refused != XLB_NO_VERDICT)
			return refused;
	}
	if (e->dir == XLB_DIR_REPLY) {
		orig = NULL; /* an established flow's reply: its own entry is all it needs */
		if (!ct_reply_alone(e, p, in_syn, now)) {
			peer = &scratch->peer;
			xlb_ct_peer_key(key, e, peer);
			/* Its orig entry is most likely in the map it came from. */
			orig = ct_lookup_in(peer, in_syn, &orig_in_syn);
			orig_key = peer;
		}
	}
#ifdef XLB_HOOK_XDP
	/* The PPv2 header's insertion and sequence shift are TC's (skb helpers). */
	if (orig && p->proto == IPPROTO_TCP && (orig->ppv2_flags & XLB_PPV2_F_ON))
		return verdict_to_skb();
#endif
	if (orig) {
		ct_advance(orig, p, e->dir);
		if (orig != e)
			ct_reply_learn(e, orig);
	}
#ifndef XLB_HOOK_XDP
	if (orig && p->proto == IPPROTO_TCP && (orig->ppv2_flags & XLB_PPV2_F_ON)) {
		int err = e->dir == XLB_DIR_ORIG ? ppv2_from_client(ctx, p, orig)
						 : ppv2_from_endpoint(ctx, p, orig);
		if (err)
			return rewrite_failed();
	}
#endif
	ct_touch(e, p->len, now);
	ct_record_tcp(e, p);
	/* After every update above, so the main map gets the entries as this packet left them. (A
	 * handshake that completes in the main map, a recycled tuple, has nothing to move:
	 * ct_advance reported it.) */
	if (orig && orig_in_syn && orig->state == XLB_CT_EST && ct_promote(orig_key, orig) == 0)
		p->flow_event = XLB_FLOW_EV_ESTABLISHED;
	if (e->flags & XLB_CT_F_PERSIST)
		persist_touch(e->svc_id, &p->saddr, e->last_seen_ns);
	sent = verdict_flow(XLB_STAT_FWD_EST, e->svc_id, e->ep_idx, 0);
	if (dsr)
		return dsr_forward(ctx, p, e->flags & XLB_CT_F_IPIP, &e->nat_daddr, route, fib,
				   sent);
	return translate_and_forward(ctx, p, &t, route, fib, sent);
}

/* A new flow's orig entry (client -> VIP), before its translation; the reply entry, if the mode
 * has one, is derived from it (xlb_ct_reply_entry). */
static __always_inline void ct_orig_entry_init(struct xlb_ct_entry *e, const struct xlb_pkt *p,
					       const struct xlb_svc *svc, __u32 ep_idx)
{
	__u64 now = xlb_now_ns();

	__builtin_memset(e, 0, sizeof(*e));
	e->dir = XLB_DIR_ORIG;
	e->state = ct_initial_state(p);
	e->mode = svc->mode;
	e->svc_id = svc->id;
	e->ep_idx = ep_idx;
	e->created_ns = now;
	e->last_seen_ns = now;
	e->nat_family = nat64_orig_family(p);
	e->packets = 1;
	e->bytes = p->len;
	e->flags = XLB_CT_F_COUNTED;
	ct_record_tcp(e, p);
	if (svc->select == XLB_SEL_PERSIST)
		e->flags |= XLB_CT_F_PERSIST;
	if ((svc->flags & XLB_SVC_F_PPV2) && p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & XLB_TCP_SYN) && svc->mode != XLB_MODE_DSR)
		ppv2_arm(e, p);
}

/* The flow is in conntrack: it counts as active for its endpoint (lc, metrics), and its first
 * packet is forwarded as fwd_new. */
static __always_inline xlb_verdict flow_started(const struct xlb_svc *svc, __u32 ep_idx)
{
	active_flows_add(svc->id, ep_idx, 1);
	return verdict_flow(XLB_STAT_FWD_NEW, svc->id, ep_idx, XLB_VF_NEW_FLOW);
}

/* Last step of a NAT/FullNAT start, the reply entry already in place: the orig entry, then
 * rewrite to tuple t and forward. */
static __always_inline xlb_verdict finish_translated_flow(
    struct xlb_ctx *ctx, const struct xlb_pkt *p, const struct xlb_svc *svc, __u32 ep_idx,
    const struct xlb_ct_key *orig_key, struct xlb_ct_entry *e, const struct xlb_ct_key *reply_key,
    const struct xlb_tuple *t, int route, const struct bpf_fib_lookup *fib)
{
	if (ct_insert(p, orig_key, e, BPF_ANY)) {
		ct_uninsert(p, reply_key, e); /* same state, same map as the reply entry */
		return verdict_drop(XLB_STAT_DROP_CT_FULL);
	}
	return translate_and_forward(ctx, p, t, route, fib, flow_started(svc, ep_idx));
}

/* NAT keeps the client's address and port, so two flows from one client port to two rules
 * (VIP:80 and VIP:81) that choose the same endpoint share one reply key. A finished flow's
 * reply entry left in the main map would shadow the new flow's for the endpoint's packets that
 * ask the main map first (a SYN+ACK asks the syn map first, but not a reset or a retransmission
 * after promotion) and turn them into answers from the old rule's port, which the client
 * resets; and its orig entry, left closed, would delete the new flow's reply entry when its own
 * tuple is reused (ct_forget_finished). The finished flow goes, both entries, from the map each
 * was found in; a live one is left alone. */
static __noinline void ct_free_reply_key(const struct xlb_ct_key *reply_key)
{
	struct xlb_ct_key owner_key;
	struct xlb_ct_entry *reply, *owner;
	int reply_in_syn, owner_in_syn;

	reply = ct_lookup(reply_key, &reply_in_syn);
	if (!reply || reply->dir != XLB_DIR_REPLY)
		return;
	xlb_ct_peer_key(reply_key, reply, &owner_key);
	owner = ct_lookup(&owner_key, &owner_in_syn);
	if (owner && !tcp_flow_closed(owner->state))
		return; /* a live flow: both ends still use that tuple */
	ct_delete_found(reply_key, reply_in_syn);
	if (owner)
		ct_delete_found(&owner_key, owner_in_syn);
}

/* NAT: destination becomes the endpoint, the client address is kept. */
__noinline xlb_verdict start_nat_flow(struct xlb_ctx *ctx, const struct xlb_pkt *p,
				      const struct xlb_svc *svc, __u32 ep_idx,
				      const struct xlb_ct_key *orig_key)
{
	const struct xlb_endpoint *ep;
	struct xlb_tuple t;
	struct xlb_scratch *scratch = scratch_get();
	struct bpf_fib_lookup *fib;
	struct xlb_ct_entry *e, *reply;
	struct xlb_ct_key reply_key;
	int route;

	if (!p || !svc || !orig_key || !scratch)
		return rewrite_failed(); /* never: the caller passes valid ones */
	ep = &svc->eps[ep_idx & (XLB_MAX_ENDPOINTS - 1)];
	t = (struct xlb_tuple){p->saddr, ep->addr, p->sport, ep->port};
	fib = &scratch->fib;
	e = &scratch->e;
	reply = &scratch->reply;

	route = route_lookup(ctx, p, &t.saddr, &t.daddr, t.sport, t.dport, 0, fib);
	if (route == ROUTE_NONE)
		return verdict_pass(XLB_STAT_PASS_NO_ROUTE);

	ct_orig_entry_init(e, p, svc, ep_idx);
	e->flags |= XLB_CT_F_DNAT;
	e->nat_daddr = t.daddr;
	e->nat_dport = t.dport;
	/* Reply entry first: an orig entry without its reply would forward into a black hole. */
	xlb_ct_reply_entry(orig_key, e, reply);
	xlb_ct_peer_key(orig_key, e, &reply_key);
	if (p->ct_recycle != XLB_CT_RECYCLE_BOTH) /* else the key's entry is this tuple's own */
		ct_free_reply_key(&reply_key);
	if (ct_insert(p, &reply_key, reply, BPF_ANY))
		return verdict_drop(XLB_STAT_DROP_CT_FULL);
	return finish_translated_flow(ctx, p, svc, ep_idx, orig_key, e, &reply_key, &t, route, fib);
}

/* FullNAT: destination becomes the endpoint and source an LB address with a port allocated
 * so that no two live flows share (SNAT address, port, endpoint, endpoint port). */
__noinline xlb_verdict start_fullnat_flow(struct xlb_ctx *ctx, const struct xlb_pkt *p,
					  const struct xlb_svc *svc, __u32 ep_idx,
					  const struct xlb_ct_key *orig_key)
{
	const struct xlb_endpoint *ep;
	const struct xlb_ip *snat_ip;
	struct xlb_tuple t;
	struct xlb_scratch *scratch = scratch_get();
	struct bpf_fib_lookup *fib;
	struct xlb_ct_entry *e, *reply;
	struct xlb_ct_key reply_key;
	int route;

	if (!p || !svc || !orig_key || !scratch)
		return rewrite_failed(); /* never: the caller passes valid ones */
	ep = &svc->eps[ep_idx & (XLB_MAX_ENDPOINTS - 1)];
	snat_ip = snat_rule_address(svc, p);
	t = (struct xlb_tuple){snat_ip ? *snat_ip : p->saddr, ep->addr, 0, ep->port};
	if (p->nat64 && !snat_ip) /* the FIB's IPv4 source: ask with none */
		__builtin_memset(&t.saddr, 0, sizeof(t.saddr));
	fib = &scratch->fib;
	e = &scratch->e;
	reply = &scratch->reply;

	route = route_lookup(ctx, p, &t.saddr, &t.daddr, p->sport, t.dport,
			     snat_ip ? 0 : BPF_FIB_LOOKUP_SRC, fib);
	if (route == ROUTE_NONE)
		return verdict_pass(XLB_STAT_PASS_NO_ROUTE);
	if (!snat_ip) {
		t.saddr = *fib_src(fib);
		if (!(t.saddr.w[0] | t.saddr.w[1] | t.saddr.w[2] | t.saddr.w[3]))
			return verdict_pass(XLB_STAT_PASS_NO_ROUTE);
	}

	ct_orig_entry_init(e, p, svc, ep_idx);
	e->flags |= XLB_CT_F_SNAT | XLB_CT_F_DNAT;
	e->nat_saddr = t.saddr;
	e->nat_daddr = t.daddr;
	e->nat_dport = t.dport;
	/* The reply entry is inserted first (see start_nat_flow): claiming the port inserts it. */
	xlb_ct_reply_entry(orig_key, e, reply);
	t.sport = snat_claim_port(p, orig_key, e, reply, &reply_key);
	if (!t.sport)
		return verdict_drop(XLB_STAT_DROP_SNAT_EXHAUSTED);
	return finish_translated_flow(ctx, p, svc, ep_idx, orig_key, e, &reply_key, &t, route, fib);
}

/* DSR: one entry (the reply never passes here); IP and ports untouched. */
__noinline xlb_verdict start_dsr_flow(struct xlb_ctx *ctx, const struct xlb_pkt *p,
				      const struct xlb_svc *svc, __u32 ep_idx,
				      const struct xlb_ct_key *orig_key)
{
	const struct xlb_endpoint *ep;
	struct xlb_scratch *scratch = scratch_get();
	struct bpf_fib_lookup *fib;
	struct xlb_ct_entry *e;
	int route, tunnel;

	if (!p || !svc || !orig_key || !scratch)
		return rewrite_failed(); /* never: the caller passes valid ones */
	ep = &svc->eps[ep_idx & (XLB_MAX_ENDPOINTS - 1)];
	fib = &scratch->fib;
	e = &scratch->e;

	route =
	    route_lookup(ctx, p, &p->saddr, &ep->addr, p->sport, p->dport, BPF_FIB_LOOKUP_SRC, fib);
	if (route == ROUTE_NONE)
		return verdict_pass(XLB_STAT_PASS_NO_ROUTE);
	tunnel = dsr_needs_tunnel(svc, &ep->addr, fib);
	if (tunnel) {
		xlb_verdict refused = dsr_refuse_too_big(ctx, p, fib);

		if (refused != XLB_NO_VERDICT)
			return refused; /* no flow: the client retries with a smaller packet */
	}

	ct_orig_entry_init(e, p, svc, ep_idx);
	e->nat_daddr = ep->addr;
	e->flags |= tunnel ? XLB_CT_F_IPIP : 0;
	if (ct_insert(p, orig_key, e, BPF_ANY))
		return verdict_drop(XLB_STAT_DROP_CT_FULL);
	return dsr_forward(ctx, p, tunnel, &ep->addr, route, fib, flow_started(svc, ep_idx));
}

/* A tracked flow's packet that found no route onward goes to the kernel, as a new flow's would
 * (follow_flow), with one exception. A FullNAT reply (its reply entry un-NATs the destination)
 * is addressed to this LB's own SNAT address, and the kernel answers it with a reset (no socket
 * holds that port), ending the endpoint's side of a flow that a returning route or the HA peer
 * could carry on. That one is dropped (drop_no_route): the endpoint retransmits. (An HA node
 * losing its client-side link a moment before its backend-side one reset the FullNAT flows its
 * peer was taking over.) */
static __always_inline xlb_verdict tracked_flow_verdict(const struct xlb_ct_entry *e, xlb_verdict v)
{
	/* XDP hands it to TC, which decides (and may not find the route missing). */
	if (!XLB_IS_XDP && v == verdict_pass(XLB_STAT_PASS_NO_ROUTE) && e->dir == XLB_DIR_REPLY &&
	    (e->flags & XLB_CT_F_DNAT))
		return verdict_drop(XLB_STAT_DROP_NO_ROUTE);
	return v;
}

/* A new flow starts in the main map, and is reported to conntrack sync at once, unless it is a
 * TCP handshake (ct_initial_state): that is reported when it completes (ct_promote). */
static __always_inline void flow_started_in_main(struct xlb_pkt *p)
{
	if (!(p->proto == IPPROTO_TCP && (p->tcp_flags & XLB_TCP_SYN)))
		p->flow_event = XLB_FLOW_EV_ESTABLISHED;
}

/* Whether a flow of rule svc to endpoint ep_idx has the reply key of the finished NAT flow e on
 * the same client tuple: both plain NAT (the client's address and port kept, no NAT64) to the
 * same endpoint address and port. */
static __always_inline int ct_reply_key_kept(const struct xlb_svc *svc, __u32 ep_idx,
					     const struct xlb_ct_entry *e)
{
	const struct xlb_endpoint *ep = &svc->eps[ep_idx & (XLB_MAX_ENDPOINTS - 1)];

	return svc->mode == XLB_MODE_NAT && e->mode == XLB_MODE_NAT &&
	       (e->flags & (XLB_CT_F_SNAT | XLB_CT_F_DNAT)) == XLB_CT_F_DNAT && !e->nat_family &&
	       ip_equal(&e->nat_daddr, &ep->addr) && e->nat_dport == ep->port;
}

/* A finished flow's tuple is reused by a new flow. Its orig entry stays for the new flow to take
 * over in place: in the syn map (closed during its handshake) as any new handshake's entry
 * would, in the main map by recycling it (p->ct_recycle, ct_new_in_syn). Its reply entry goes,
 * so its SNAT port or reply tuple is free again, from the map the orig entry was found in
 * (`in_syn`; the other map is asked only if it is not there) — unless the new flow has the same
 * reply key (`reply_key_kept`: ct_reply_key_kept) and recycles that entry too. A function of
 * its own: its key never adds to the entry program's frame. */
static __noinline void ct_forget_finished(struct xlb_pkt *p, const struct xlb_ct_key *key,
					  const struct xlb_ct_entry *e, int in_syn,
					  int reply_key_kept)
{
	struct xlb_ct_key stale_reply;

	if (!in_syn && reply_key_kept) {
		p->ct_recycle = XLB_CT_RECYCLE_BOTH;
		return;
	}
	if (xlb_ct_has_reply(e)) {
		xlb_ct_peer_key(key, e, &stale_reply);
		ct_delete_found(&stale_reply, in_syn);
	}
	p->ct_recycle = in_syn ? XLB_CT_RECYCLE_NONE : XLB_CT_RECYCLE_ORIG;
}

/* A recycled tuple whose new flow did not start (verdict v: no route, no free SNAT port, a DSR
 * answer handed to TC...) still has the finished flow's orig entry in the main map: it goes,
 * with the reply entry it kept (XLB_CT_RECYCLE_BOTH), or a later reuse of the tuple would delete
 * that reply key again, which another flow may hold by then. Global, called for every new
 * flow: the verifier checks it once, where a condition at the call site after the start
 * functions' many verdicts cost the entry program a fifth more processed instructions. */
__noinline int ct_forget_unrecycled(const struct xlb_pkt *p, const struct xlb_ct_key *key,
				    xlb_verdict v)
{
	struct xlb_ct_entry *e;
	struct xlb_ct_key stale_reply;

	if (!p || !key || !p->ct_recycle || (verdict_flags(v) & XLB_VF_NEW_FLOW))
		return 0;
	e = bpf_map_lookup_elem(&XLB_MAP_CT_ID, key);
	if (!e || e->dir != XLB_DIR_ORIG || !tcp_flow_closed(e->state))
		return 0;
	if (p->ct_recycle == XLB_CT_RECYCLE_BOTH) {
		xlb_ct_peer_key(key, e, &stale_reply);
		bpf_map_delete_elem(&XLB_MAP_CT_ID, &stale_reply);
	}
	bpf_map_delete_elem(&XLB_MAP_CT_ID, key);
	return 1;
}

/* TCP or UDP, fully parsed, TTL checked. */
static __always_inline xlb_verdict balance(struct xlb_ctx *ctx, struct xlb_pkt *p)
{
	struct xlb_ct_key key;
	struct xlb_ct_entry *e;
	struct xlb_svc_key skey = {};
	struct xlb_svc *svc;
	xlb_verdict v;
	int idx, in_syn,
	    new_syn = p->proto == IPPROTO_TCP &&
		      (p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_ACK)) == XLB_TCP_SYN;

	ct_key_of(&key, p);
	/* Neither for a VIP nor part of a tracked flow: one lookup says so (addr_filter.h). */
	if (!addr_filter_may_concern(&key.saddr, &key.daddr))
		return verdict_pass(XLB_STAT_PASS_NOT_VIP);
	e = ct_lookup_in(&key, ct_pkt_in_handshake(p), &in_syn);
	/* A fresh SYN on a finished flow's tuple (port reuse) starts over instead of stalling. */
	if (e && !(new_syn && e->dir == XLB_DIR_ORIG && tcp_flow_closed(e->state)))
		return tracked_flow_verdict(e, follow_flow(ctx, p, &key, e, in_syn));

	skey.vip = p->daddr;
	skey.port = p->dport;
	skey.proto = p->proto;
	skey.family = p->family;
	svc = bpf_map_lookup_elem(&XLB_MAP_SVC_ID, &skey);
	if (!svc)
		return pass_unbalanced(p);
	/* fullproxy: the kernel delivers it locally (policy route on the mark) and xlb_steer
	 * gives it to xlb-proxy; RSTs too, they belong to the proxy's connections. */
	if (svc->mode == XLB_MODE_PROXY) {
#ifdef XLB_HOOK_XDP
		return verdict_to_skb(); /* the mark lives in the skb */
#else
		ctx->mark = XLB_PROXY_MARK;
		return verdict_pass(XLB_STAT_PASS_PROXY);
#endif
	}
	/* A RST for a flow we do not know has nothing to reset: let the kernel have it. */
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & XLB_TCP_RST))
		return verdict_pass(XLB_STAT_PASS_NO_RULE);
	/* A flow that will carry a PPv2 header starts in TC (ct_orig_entry_init arms it, TC inserts
	 * it), before its endpoint is chosen: choosing moves round-robin. */
	if (XLB_IS_XDP && (svc->flags & XLB_SVC_F_PPV2) && p->proto == IPPROTO_TCP &&
	    (p->tcp_flags & XLB_TCP_SYN) && svc->mode != XLB_MODE_DSR)
		return verdict_to_skb();
	idx = select_endpoint(svc, p);
	if (idx < 0)
		return verdict_drop(XLB_STAT_DROP_NO_ENDPOINT);
	if (svc->mode == XLB_MODE_FULLNAT) {
		p->nat64 = nat64_endpoint(p, &svc->eps[idx & (XLB_MAX_ENDPOINTS - 1)]);
		if (p->nat64) {
			if (XLB_IS_XDP)
				select_give_back(svc);
			NAT64_OR_RETURN(ctx, p); /* before the flow exists */
		}
	}
	if (e)
		ct_forget_finished(p, &key, e, in_syn, ct_reply_key_kept(svc, idx, e));
	flow_started_in_main(p);
	/* Its replies come from the endpoint's address: the pre-filter learns it before the flow
	 * exists. (Its client's packets are for the VIP, which the control plane marked.) */
	addr_filter_mark(&svc->eps[idx & (XLB_MAX_ENDPOINTS - 1)].addr);
	if (svc->mode == XLB_MODE_FULLNAT)
		v = start_fullnat_flow(ctx, p, svc, idx, &key);
	else if (svc->mode == XLB_MODE_DSR)
		v = start_dsr_flow(ctx, p, svc, idx, &key);
	else
		v = start_nat_flow(ctx, p, svc, idx, &key);
	/* Handed to TC before the flow exists (no route or neighbour yet, a DSR answer): TC
	 * chooses again, so XDP's choice must not count. */
	if (XLB_IS_XDP && verdict_action(v) == XLB_ACT_PASS)
		select_give_back(svc);
	ct_forget_unrecycled(p, &key, v);
	return v;
}

#endif

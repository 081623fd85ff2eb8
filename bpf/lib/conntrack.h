/* Connection tracking: two entries per flow (orig and reply direction), TCP/UDP state kept in
 * the orig entry. The reply entry's peer is the reverse of its translated tuple. Half-open TCP
 * flows are kept apart from established ones (ct_embryonic) so a SYN flood cannot evict them. */
#ifndef XLB_BPF_CONNTRACK_H
#define XLB_BPF_CONNTRACK_H

#include "lib/maps.h"
#include "lib/parse.h"

static __always_inline void ct_key_init(struct xlb_ct_key *k, const struct xlb_ip *saddr,
					const struct xlb_ip *daddr, __u16 sport, __u16 dport,
					__u8 proto, __u8 family)
{
	k->saddr = *saddr;
	k->daddr = *daddr;
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->family = family;
	k->pad = 0;
}

/* The key of packet p's own direction. */
static __always_inline void ct_key_of(struct xlb_ct_key *k, const struct xlb_pkt *p)
{
	ct_key_init(k, &p->saddr, &p->daddr, p->sport, p->dport, p->proto, p->family);
}

/* The tuple a packet matching `key` carries after `e` is applied. */
struct xlb_tuple {
	struct xlb_ip saddr;
	struct xlb_ip daddr;
	__u16 sport;
	__u16 dport;
};

static __always_inline void ct_translated(const struct xlb_ct_key *key,
					  const struct xlb_ct_entry *e, struct xlb_tuple *t)
{
	const int snat = e->flags & XLB_CT_F_SNAT, dnat = e->flags & XLB_CT_F_DNAT;

	t->saddr = snat ? e->nat_saddr : key->saddr;
	t->daddr = dnat ? e->nat_daddr : key->daddr;
	t->sport = snat ? e->nat_sport : key->sport;
	t->dport = dnat ? e->nat_dport : key->dport;
}

/* Two maps (maps.h): a flow's entries live in the syn map while its TCP handshake is under
 * way, in the main map from then on (and from the start for UDP and mid-stream pickups). */
static __always_inline int ct_embryonic(__u8 state)
{
	return state == XLB_CT_SYN_SENT || state == XLB_CT_SYN_RECV;
}

/* Main map first, so established traffic pays one lookup as it would with a single map. */
static __always_inline struct xlb_ct_entry *ct_lookup(const struct xlb_ct_key *k, int *in_syn)
{
	struct xlb_ct_entry *e = bpf_map_lookup_elem(&XLB_MAP_CT_ID, k);

	*in_syn = 0;
	if (e)
		return e;
	e = bpf_map_lookup_elem(&XLB_MAP_CT_SYN_ID, k);
	*in_syn = e != NULL;
	return e;
}

/* ct_lookup asking the syn map first, where the entry most likely is (`syn_first`): it skips
 * the main map's miss, and still finds an entry that has moved on to the main map. */
static __always_inline struct xlb_ct_entry *ct_lookup_in(const struct xlb_ct_key *k, int syn_first,
							 int *in_syn)
{
	struct xlb_ct_entry *e;

	if (!syn_first)
		return ct_lookup(k, in_syn);
	e = bpf_map_lookup_elem(&XLB_MAP_CT_SYN_ID, k);
	*in_syn = e != NULL;
	if (e)
		return e;
	return bpf_map_lookup_elem(&XLB_MAP_CT_ID, k);
}

/* A SYN+ACK answers a handshake under way: its flow is in the syn map (unless retransmitted
 * after the handshake completed). */
static __always_inline int ct_pkt_in_handshake(const struct xlb_pkt *p)
{
	return p->proto == IPPROTO_TCP &&
	       (p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_ACK)) == (XLB_TCP_SYN | XLB_TCP_ACK);
}

/* Whether a new entry of packet p's flow goes to the syn map: a TCP handshake's does (a reply
 * entry carries the flow's initial state too, so both entries of a flow land together), unless
 * the flow recycles a finished flow's entries in the main map (p->ct_recycle). That is a client
 * reusing its port, common under heavy connection rates (Linux's tcp_tw_reuse, proxies, NAT
 * gateways): the old flow's element is written over in place and its reply entry's replaced,
 * so the main map does not grow by one entry and no established flow can be evicted for it,
 * which is all the syn map exists to ensure; and the handshake then needs no promotion (two
 * inserts and two deletes, each a bucket walk) and no syn-map insert. */
static __always_inline int ct_new_in_syn(const struct xlb_pkt *p, const struct xlb_ct_entry *e)
{
	return ct_embryonic(e->state) && !p->ct_recycle;
}

/* p->ct_recycle: what of the finished flow's main-map entries the new flow takes over. */
enum xlb_ct_recycle {
	XLB_CT_RECYCLE_NONE = 0,
	XLB_CT_RECYCLE_ORIG = 1, /* its orig entry; the reply entry is replaced (a new reply key) */
	XLB_CT_RECYCLE_BOTH = 2, /* both: a NAT flow to the same endpoint has the same reply key */
};

/* A new flow's entry goes to its map (ct_new_in_syn). A recycled flow's entries overwrite the
 * finished flow's elements in place (its orig entry, and its reply entry when the key is kept):
 * an LRU update would take a free element even to replace a key, which in a full map evicts
 * another flow. A reply entry is only overwritten if the element still is one. */
static __always_inline long ct_insert(const struct xlb_pkt *p, const struct xlb_ct_key *k,
				      const struct xlb_ct_entry *e, __u64 flags)
{
	struct xlb_ct_entry *old;

	if (ct_new_in_syn(p, e))
		return bpf_map_update_elem(&XLB_MAP_CT_SYN_ID, k, e, flags);
	if (flags == BPF_ANY &&
	    (e->dir == XLB_DIR_ORIG ? p->ct_recycle : p->ct_recycle == XLB_CT_RECYCLE_BOTH)) {
		old = bpf_map_lookup_elem(&XLB_MAP_CT_ID, k);
		if (old && old->dir == e->dir) {
			*old = *e;
			return 0;
		}
	}
	return bpf_map_update_elem(&XLB_MAP_CT_ID, k, e, flags);
}

/* Undoes ct_insert of k for entry e of packet p's flow. */
static __always_inline void ct_uninsert(const struct xlb_pkt *p, const struct xlb_ct_key *k,
					const struct xlb_ct_entry *e)
{
	if (ct_new_in_syn(p, e))
		bpf_map_delete_elem(&XLB_MAP_CT_SYN_ID, k);
	else
		bpf_map_delete_elem(&XLB_MAP_CT_ID, k);
}

/* Whether the map ct_insert would NOT use for e holds k: a tuple is free only if free in both. */
static __always_inline int ct_held_elsewhere(const struct xlb_pkt *p, const struct xlb_ct_key *k,
					     const struct xlb_ct_entry *e)
{
	if (ct_new_in_syn(p, e))
		return bpf_map_lookup_elem(&XLB_MAP_CT_ID, k) != NULL;
	return bpf_map_lookup_elem(&XLB_MAP_CT_SYN_ID, k) != NULL;
}

/* Deletes k from the map a lookup found its flow in (`in_syn`), and from the other one only if
 * it was not there: one bucket lock and walk where deleting from both always takes two. */
static __always_inline void ct_delete_found(const struct xlb_ct_key *k, int in_syn)
{
	if (in_syn ? bpf_map_delete_elem(&XLB_MAP_CT_SYN_ID, k) != 0
		   : bpf_map_delete_elem(&XLB_MAP_CT_ID, k) != 0)
		in_syn ? bpf_map_delete_elem(&XLB_MAP_CT_ID, k)
		       : bpf_map_delete_elem(&XLB_MAP_CT_SYN_ID, k);
}

/* The handshake of the syn-map flow `orig` completed: its entries move to the main map, the
 * reply entry first (an orig entry without its reply would forward into a black hole), then
 * leave the syn map. Any failure leaves both where they were; the next packet tries again.
 * A reply already in the main map (another CPU promoted it) is fine; one gone from both maps
 * (evicted) is not, and the flow stays in the syn map to age out there. Returns 0 once the
 * flow is in the main map (and `orig`, its syn-map entry, freed). */
static __noinline int ct_promote(const struct xlb_ct_key *orig_key, struct xlb_ct_entry *orig)
{
	struct xlb_ct_key reply_key;
	struct xlb_ct_entry *reply = NULL;

	if (xlb_ct_has_reply(orig)) {
		xlb_ct_peer_key(orig_key, orig, &reply_key);
		reply = bpf_map_lookup_elem(&XLB_MAP_CT_SYN_ID, &reply_key);
		if (reply) /* established now: its replies may go alone (ct_reply_alone) */
			reply->reply_flags |= xlb_ct_reply_flags(orig);
		if (reply ? bpf_map_update_elem(&XLB_MAP_CT_ID, &reply_key, reply, BPF_ANY) != 0
			  : bpf_map_lookup_elem(&XLB_MAP_CT_ID, &reply_key) == NULL)
			return -1;
	}
	if (bpf_map_update_elem(&XLB_MAP_CT_ID, orig_key, orig, BPF_ANY)) {
		if (reply)
			bpf_map_delete_elem(&XLB_MAP_CT_ID, &reply_key);
		return -1;
	}
	bpf_map_delete_elem(&XLB_MAP_CT_SYN_ID, orig_key);
	if (reply)
		bpf_map_delete_elem(&XLB_MAP_CT_SYN_ID, &reply_key);
	return 0;
}

static __always_inline int tcp_flow_closed(__u8 state)
{
	return state == XLB_CT_TIME_WAIT || state == XLB_CT_CLOSED;
}

static __always_inline void active_flows_add(__u32 svc_id, __u32 ep_idx, int delta)
{
	__u32 key = xlb_ep_slot(svc_id, ep_idx);
	__u32 *active = bpf_map_lookup_elem(&XLB_MAP_EP_CONNS_ID, &key);

	if (active)
		__sync_fetch_and_add(active, delta);
}

/* A flow that finished stops counting as active for its endpoint (lc, metrics), and is
 * reported closed to conntrack sync (flow_events.h; only if it is in the main map) unless it
 * never was reported established: a handshake that ends unfinished, in either map. */
static __always_inline void ct_set_state(struct xlb_ct_entry *orig, __u8 state, struct xlb_pkt *p)
{
	if (!tcp_flow_closed(orig->state) && !ct_embryonic(orig->state))
		p->flow_event = XLB_FLOW_EV_CLOSED;
	orig->state = state;
	if (tcp_flow_closed(state) && (orig->flags & XLB_CT_F_COUNTED)) {
		orig->flags &= ~XLB_CT_F_COUNTED;
		active_flows_add(orig->svc_id, orig->ep_idx, -1);
	}
}

/* Advances the flow's state for a packet seen in direction `dir`. */
static __always_inline void ct_advance(struct xlb_ct_entry *orig, struct xlb_pkt *p, __u8 dir)
{
	__u8 f = p->tcp_flags;
	int from_client = dir == XLB_DIR_ORIG;

	if (p->proto == IPPROTO_UDP) {
		if (!from_client && orig->state == XLB_CT_UDP_NEW)
			orig->state = XLB_CT_UDP_EST;
		return;
	}
	if (p->proto != IPPROTO_TCP)
		return;
	if (f & XLB_TCP_RST) {
		ct_set_state(orig, XLB_CT_CLOSED, p);
		return;
	}
	if (f & XLB_TCP_FIN) {
		orig->flags |= from_client ? XLB_CT_F_CLIENT_FIN : XLB_CT_F_EP_FIN;
		if ((orig->flags & (XLB_CT_F_CLIENT_FIN | XLB_CT_F_EP_FIN)) ==
		    (XLB_CT_F_CLIENT_FIN | XLB_CT_F_EP_FIN))
			ct_set_state(orig, XLB_CT_TIME_WAIT, p);
		else
			orig->state = from_client ? XLB_CT_FIN_WAIT : XLB_CT_CLOSE_WAIT;
		return;
	}
	if (orig->state == XLB_CT_SYN_SENT && !from_client && (f & XLB_TCP_SYN) &&
	    (f & XLB_TCP_ACK))
		orig->state = XLB_CT_SYN_RECV;
	else if (orig->state == XLB_CT_SYN_RECV && from_client && (f & XLB_TCP_ACK) &&
		 !(f & XLB_TCP_SYN))
		orig->state = XLB_CT_EST;
	/* DSR never sees the SYN+ACK: the client's first ACK is the evidence of a handshake. */
	else if (orig->state == XLB_CT_SYN_SENT && orig->mode == XLB_MODE_DSR && from_client &&
		 (f & XLB_TCP_ACK) && !(f & XLB_TCP_SYN))
		orig->state = XLB_CT_EST;
}

/* Whether reply packet p, of reply entry `reply` (found in the syn map: in_syn), can do without
 * the flow's orig entry: what a reply packet gives the orig entry is a UDP flow's first answer, a
 * SYN+ACK, FIN or RST (ct_advance), a PPv2 flow's acknowledgement (ppv2_from_endpoint) and a
 * promotion out of the syn map; an established flow's reply entry, marked XLB_CT_RF_ALONE,
 * rules out all but the flags. Its first reply of an epoch still reads it (XLB_CT_ORIG_REF_SHIFT).
 * So most reply packets cost one lookup, not two. (The orig entry's clock is not a reply
 * packet's to move: aging reads both entries' last_seen.) */
static __always_inline int ct_reply_alone(const struct xlb_ct_entry *reply, const struct xlb_pkt *p,
					  int in_syn, __u64 now)
{
	if (in_syn || !(reply->reply_flags & XLB_CT_RF_ALONE) ||
	    (reply->last_seen_ns >> XLB_CT_ORIG_REF_SHIFT) != (now >> XLB_CT_ORIG_REF_SHIFT))
		return 0;
	return p->proto != IPPROTO_TCP ||
	       !(p->tcp_flags & (XLB_TCP_SYN | XLB_TCP_FIN | XLB_TCP_RST));
}

/* A reply packet that read the orig entry leaves in the reply entry what it learnt there: the
 * first UDP answer, or a flow established elsewhere (an HA peer's), marks it XLB_CT_RF_ALONE. */
static __always_inline void ct_reply_learn(struct xlb_ct_entry *reply,
					   const struct xlb_ct_entry *orig)
{
	__u8 learnt = xlb_ct_reply_flags(orig);

	if (learnt & ~reply->reply_flags)
		reply->reply_flags |= learnt;
}

static __always_inline __u8 ct_initial_state(const struct xlb_pkt *p)
{
	if (p->proto == IPPROTO_UDP)
		return XLB_CT_UDP_NEW;
	/* A mid-stream packet (the entry was evicted or the LB restarted without maps) is
	 * picked up as established rather than reset. */
	return (p->tcp_flags & XLB_TCP_SYN) ? XLB_CT_SYN_SENT : XLB_CT_EST;
}

/* Remembers what a TCP segment of this entry's direction says about its sender: the next
 * sequence number (so the daemon can reset an expired flow, RFC 5961 wants it exact) and
 * whether it was an RST. Retransmissions and reordering never move seq_next backwards. */
static __always_inline void ct_record_tcp(struct xlb_ct_entry *e, const struct xlb_pkt *p)
{
	__u32 hdrs = (p->l4_off - p->l3_off) + p->l4_hlen, payload, end;

	if (p->proto != IPPROTO_TCP)
		return;
	if (p->tcp_flags & XLB_TCP_RST) {
		e->seen |= XLB_CT_SEEN_RST;
		return;
	}
	payload = p->tot_len > hdrs ? p->tot_len - hdrs : 0;
	end =
	    p->tcp_seq + payload + !!(p->tcp_flags & XLB_TCP_SYN) + !!(p->tcp_flags & XLB_TCP_FIN);
	if (!(e->seen & XLB_CT_SEEN_SEQ) || (__s32)(end - e->seq_next) > 0)
		e->seq_next = end;
	e->seen |= XLB_CT_SEEN_SEQ;
}

static __always_inline void ct_touch(struct xlb_ct_entry *e, __u32 bytes, __u64 now)
{
	e->last_seen_ns = now;
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, bytes);
}

#endif

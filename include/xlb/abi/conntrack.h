/* Connection tracking: one entry per direction, keyed by the tuple as it appears on the wire. */
#ifndef XLB_ABI_CONNTRACK_H
#define XLB_ABI_CONNTRACK_H

#include "common.h"
#include "service.h"

#define XLB_DEFAULT_CT_SIZE (256 * 1024)
/* Embryonic-flow (syn) map: by default a quarter of --ct-size, never below the minimum. */
#define XLB_CT_SYN_MIN_SIZE 1024
#define XLB_CT_SYN_DEFAULT_DIVISOR 4

/* FullNAT source ports: allocated per (SNAT address, endpoint, endpoint port). */
#define XLB_SNAT_PORT_MIN 1024
#define XLB_SNAT_PORT_MAX                                                                          \
	32767 /* below the kernel's ephemeral range: the LB's own sockets never collide */
#define XLB_SNAT_PORT_TRIES 32 /* probes before a new flow is refused (drop_snat_exhausted) */

/* States shown by `xlbctl get ct`; TCP first, then UDP and ICMP. */
enum xlb_ct_state {
	XLB_CT_SYN_SENT = 0,
	XLB_CT_SYN_RECV = 1,
	XLB_CT_EST = 2,
	XLB_CT_FIN_WAIT = 3,   /* client sent FIN first */
	XLB_CT_CLOSE_WAIT = 4, /* endpoint sent FIN first */
	XLB_CT_TIME_WAIT = 5,  /* both sides sent FIN */
	XLB_CT_CLOSED = 6,     /* RST seen */
	XLB_CT_UDP_NEW = 7,
	XLB_CT_UDP_EST = 8,
	XLB_CT_ICMP = 9,
	XLB_CT_STATE_MAX
};

enum xlb_ct_dir {
	XLB_DIR_ORIG = 0,  /* client -> VIP */
	XLB_DIR_REPLY = 1, /* endpoint -> client */
};

/* Which translations an entry applies. */
#define XLB_CT_F_DNAT (1u << 0)
#define XLB_CT_F_SNAT (1u << 1)
#define XLB_CT_F_CLIENT_FIN (1u << 2) /* orig entry: the client has sent FIN */
#define XLB_CT_F_EP_FIN (1u << 3)     /* orig entry: the endpoint has sent FIN */
#define XLB_CT_F_IPIP (1u << 4)	      /* DSR: tunnelled in IPIP (else L2 MAC rewrite) */
#define XLB_CT_F_COUNTED (1u << 5)    /* orig entry: counted in its endpoint's active flows (lc) */
#define XLB_CT_F_PERSIST (1u << 6)    /* orig entry: its packets refresh the client's affinity */
#define XLB_CT_F_SYNCED (1u << 7)     /* orig entry: learned from an HA peer (conntrack sync) */

struct xlb_ct_key {
	struct xlb_ip saddr; /* 0 */
	struct xlb_ip daddr; /* 16 */
	__u16 sport;	     /* 32: network byte order */
	__u16 dport;	     /* 34 */
	__u8 proto;	     /* 36 */
	__u8 family;	     /* 37 */
	__u16 pad;	     /* 38: must be zero */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_ct_key) == 40, "ct key size");
XLB_ASSERT_OFFSET(struct xlb_ct_key, sport, 32);
XLB_ASSERT_OFFSET(struct xlb_ct_key, pad, 38);

/* The translation to apply to a packet matching the key. The orig entry holds the flow's state
 * and counters; the reply entry's peer is found by reversing its translated tuple. */
struct xlb_ct_entry {
	struct xlb_ip nat_saddr; /* 0: new source (SNAT) */
	struct xlb_ip nat_daddr; /* 16: new destination (DNAT) */
	__u16 nat_sport;	 /* 32 */
	__u16 nat_dport;	 /* 34 */
	__u8 dir;		 /* 36: enum xlb_ct_dir */
	__u8 state;		 /* 37: enum xlb_ct_state (authoritative in the orig entry) */
	__u8 mode;		 /* 38: enum xlb_mode */
	__u8 flags;		 /* 39: XLB_CT_F_* */
	__u32 svc_id;		 /* 40 */
	__u16 ep_idx;		 /* 44 */
	__u16 pad;		 /* 46 */
	__u64 created_ns;	 /* 48: CLOCK_MONOTONIC, coarse (bpf/lib/clock.h) */
	__u64 last_seen_ns;	 /* 56 */
	__u64 packets;		 /* 64: this direction */
	__u64 bytes;		 /* 72 */
	__u32 ppv2_seq;		 /* 80: orig entry: client sequence number where payload starts */
	__u16 ppv2_len;		 /* 84: orig entry: Proxy Protocol header length (the seq shift) */
	__u16 ppv2_flags;	 /* 86: XLB_PPV2_F_* */
	__u32 seq_next;		 /* 88: TCP: this direction's next sequence number (host order;
				  * valid with XLB_CT_SEEN_SEQ), so an expired flow can be reset */
	__u8 seen;		 /* 92: XLB_CT_SEEN_*: what this direction has sent */
	__u8 nat_family; /* 93: NAT64: the family of the translated tuple (nat_saddr, nat_daddr),
			  * the other one than the key's; 0 = the key's (every other flow) */
	__u8 pad2[2];	 /* 94: must be zero */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_ct_entry) == 96, "ct entry size");
XLB_ASSERT_OFFSET(struct xlb_ct_entry, dir, 36);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, svc_id, 40);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, created_ns, 48);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, ppv2_seq, 80);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, seq_next, 88);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, seen, 92);
XLB_ASSERT_OFFSET(struct xlb_ct_entry, nat_family, 93);

/* The family of the tuple a packet matching `key` carries once `e` is applied: the key's, or
 * for a NAT64 flow the other one (the orig entry turns IPv6 into IPv4, the reply entry back). */
static inline __u8 xlb_ct_nat_family(const struct xlb_ct_key *key, const struct xlb_ct_entry *e)
{
	return e->nat_family ? e->nat_family : key->family;
}

/* The key a packet matching `key` carries once `e` is applied: SNAT replaces the source,
 * DNAT the destination. (Field by field, with no temporary: every stack byte counts in BPF.) */
static inline void xlb_ct_translated(const struct xlb_ct_key *key, const struct xlb_ct_entry *e,
				     struct xlb_ct_key *out)
{
	const int snat = e->flags & XLB_CT_F_SNAT, dnat = e->flags & XLB_CT_F_DNAT;

	out->saddr = snat ? e->nat_saddr : key->saddr;
	out->daddr = dnat ? e->nat_daddr : key->daddr;
	out->sport = snat ? e->nat_sport : key->sport;
	out->dport = dnat ? e->nat_dport : key->dport;
	out->proto = key->proto;
	out->family = xlb_ct_nat_family(key, e);
	out->pad = 0;
}

/* The same tuple seen from the other end: source and destination swapped. */
static inline void xlb_ct_key_reverse(struct xlb_ct_key *k)
{
	__u16 port = k->sport;

	for (int i = 0; i < 4; i++) {
		__u32 w = k->saddr.w[i];

		k->saddr.w[i] = k->daddr.w[i];
		k->daddr.w[i] = w;
	}
	k->sport = k->dport;
	k->dport = port;
}

/* Key of the opposite direction's entry: the reverse of this entry's translated tuple. The
 * datapath finds a reply entry's orig entry this way, and the control plane a flow's pair. */
static inline void xlb_ct_peer_key(const struct xlb_ct_key *key, const struct xlb_ct_entry *e,
				   struct xlb_ct_key *peer)
{
	xlb_ct_translated(key, e, peer);
	xlb_ct_key_reverse(peer);
}

/* Whether a flow of orig entry `orig` has a reply entry: DSR's replies bypass the LB. */
static inline int xlb_ct_has_reply(const struct xlb_ct_entry *orig)
{
	return orig->mode != XLB_MODE_DSR;
}

/* The reply entry (endpoint -> client) of a NAT or FullNAT flow of client tuple `key` and orig
 * entry `orig`, keyed xlb_ct_peer_key(key, orig). ONE definition for the datapath, which writes it
 * beside a new flow's orig entry, and for the control plane, which writes it beside a flow learnt
 * from the HA peer (only the orig entry is synced). It reads no SNAT port, so FullNAT can build it
 * before its port is claimed (xlb_ct_set_snat_port). The reply leaves from VIP:port (SNAT); under
 * FullNAT it also goes back to the client's own tuple (DNAT); a NAT64 flow's reply turns back into
 * the client's family. It shares the flow's state, rule, endpoint and times; the rest is zero. */
static inline void xlb_ct_reply_entry(const struct xlb_ct_key *key, const struct xlb_ct_entry *orig,
				      struct xlb_ct_entry *reply)
{
	__builtin_memset(reply, 0, sizeof(*reply));
	reply->dir = XLB_DIR_REPLY;
	reply->state = orig->state;
	reply->mode = orig->mode;
	reply->svc_id = orig->svc_id;
	reply->ep_idx = orig->ep_idx;
	reply->created_ns = orig->created_ns;
	reply->last_seen_ns = orig->last_seen_ns;
	reply->nat_saddr = key->daddr;
	reply->nat_sport = key->dport;
	if (orig->flags & XLB_CT_F_SNAT) {
		reply->flags = XLB_CT_F_SNAT | XLB_CT_F_DNAT;
		reply->nat_daddr = key->saddr;
		reply->nat_dport = key->sport;
	} else {
		reply->flags = XLB_CT_F_SNAT;
	}
	if (orig->nat_family)
		reply->nat_family = key->family;
}

/* A FullNAT flow's SNAT source port, into its orig entry and its reply key, whose destination
 * port it is (xlb_ct_peer_key): the port probe tries one port after another without rebuilding
 * the key (a cheaper loop for the verifier). */
static inline void xlb_ct_set_snat_port(struct xlb_ct_entry *orig, struct xlb_ct_key *reply_key,
					__u16 port)
{
	orig->nat_sport = port;
	reply_key->dport = port;
}

#define XLB_CT_SEEN_SEQ (1u << 0) /* seq_next holds a sequence number */
#define XLB_CT_SEEN_RST (1u << 1) /* this direction sent a TCP RST (diagnose: refused) */

#define XLB_PPV2_F_ON (1u << 0)	   /* this flow carries a Proxy Protocol v2 header */
#define XLB_PPV2_F_ACKED (1u << 1) /* the endpoint has acknowledged the header */

#endif

/* Service table: (VIP, port, protocol) -> rule with endpoints and a precomputed selection table. */
#ifndef XLB_ABI_SERVICE_H
#define XLB_ABI_SERVICE_H

#include "common.h"

#define XLB_MAX_ENDPOINTS 32
/* Slots of the per-rule selection table; rr/priority/hash all pick a slot, never an endpoint
 * directly, so weights are encoded by how many slots an endpoint owns. */
#define XLB_SELECT_SLOTS 256
#define XLB_DEFAULT_MAX_SERVICES 4096
/* FullNAT source addresses a rule may list (--snat); none = the LB's address toward the endpoint.
 */
#define XLB_MAX_SNAT 4

enum xlb_mode {
	XLB_MODE_NAT = 0, /* "default": DNAT, client address kept */
	XLB_MODE_FULLNAT = 1,
	XLB_MODE_DSR = 2,
	/* fullproxy (L7): the TC program marks the packet XLB_PROXY_MARK and hands it to the
	 * kernel, whose policy route delivers it locally; xlb_steer (sk_lookup) gives it to
	 * xlb-proxy's listener. One entry per VIP:port, whatever the number of --host rules. */
	XLB_MODE_PROXY = 3,
};

/* skb->mark of packets steered to xlb-proxy; xlbd routes it to a local table:
 * `ip rule add fwmark XLB_PROXY_MARK lookup XLB_PROXY_TABLE`,
 * `ip route add local 0.0.0.0/0 dev lo table XLB_PROXY_TABLE`. A policy table, not the local
 * one, so the kernel never answers ARP for a VIP (the ARP lookup carries no mark). */
#define XLB_PROXY_MARK 0x786c6270u /* "xlbp" */
#define XLB_PROXY_TABLE 7862

enum xlb_select {
	XLB_SEL_RR = 0,
	XLB_SEL_PRIORITY = 1, /* weighted round robin */
	XLB_SEL_HASH = 2,     /* 5-tuple hash */
	XLB_SEL_PERSIST = 3,
	XLB_SEL_LC = 4,
	XLB_SEL_MAGLEV = 5,
};

enum xlb_ep_state {
	XLB_EP_UP = 0,
	XLB_EP_DOWN = 1,
	XLB_EP_DRAINING = 2,
};

/* Rule flags. */
#define XLB_SVC_F_PPV2 (1u << 0)
/* DSR: always tunnel, even to a directly connected endpoint. */
#define XLB_SVC_F_DSR_IPIP (1u << 1)

struct xlb_svc_key {
	struct xlb_ip vip; /* 0 */
	__u16 port;	   /* 16: network byte order */
	__u8 proto;	   /* 18: IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;	   /* 19: XLB_AF_INET */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_svc_key) == 20, "svc key size");
XLB_ASSERT_OFFSET(struct xlb_svc_key, port, 16);

struct xlb_endpoint {
	struct xlb_ip addr; /* 0 */
	__u16 port;	    /* 16: network byte order */
	__u8 weight;	    /* 18: 1..255 */
	__u8 state;	    /* 19: enum xlb_ep_state */
	__u8 family;	    /* 20 */
	__u8 pad[3];	    /* 21 */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_endpoint) == 24, "endpoint size");
XLB_ASSERT_OFFSET(struct xlb_endpoint, port, 16);
XLB_ASSERT_OFFSET(struct xlb_endpoint, family, 20);

struct xlb_svc {
	__u32 id;	   /* 0: index into per-rule counter and rr maps, < max services */
	__u8 mode;	   /* 4: enum xlb_mode */
	__u8 select;	   /* 5: enum xlb_select */
	__u8 nr_endpoints; /* 6: valid entries in eps[] */
	__u8 flags;	   /* 7: XLB_SVC_F_* */
	__u16 nr_slots;	   /* 8: valid entries in slots[]; 0 = no endpoint can take new flows */
	__u8 nr_snat;	   /* 10: valid entries in snat[] */
	__u8 maglev_gen;   /* 11: maglev: which of the rule's two tables is its own (0/1) */
	__u32 inactive_timeout_s; /* 12: 0 = protocol default */
	__u32 persist_timeout_s;  /* 16: persist: client affinity lasts this long idle */
	__u32 maglev_size;	  /* 20: maglev: entries of this rule's table in xlb_maglev_v1 */
	struct xlb_ip snat[XLB_MAX_SNAT];	    /* 24: FullNAT source addresses */
	struct xlb_endpoint eps[XLB_MAX_ENDPOINTS]; /* 88 */
	__u8 slots[XLB_SELECT_SLOTS];		    /* 856: endpoint index per slot */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_svc) == 1112, "svc size");
XLB_ASSERT_OFFSET(struct xlb_svc, nr_slots, 8);
XLB_ASSERT_OFFSET(struct xlb_svc, inactive_timeout_s, 12);
XLB_ASSERT_OFFSET(struct xlb_svc, snat, 24);
XLB_ASSERT_OFFSET(struct xlb_svc, eps, 88);
XLB_ASSERT_OFFSET(struct xlb_svc, slots, 856);

/* persist: the endpoint a client address was last sent to, per rule. */
struct xlb_persist_key {
	__u32 svc_id;	      /* 0 */
	__u32 pad;	      /* 4: must be zero */
	struct xlb_ip client; /* 8 */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_persist_key) == 24, "persist key size");
XLB_ASSERT_OFFSET(struct xlb_persist_key, client, 8);

struct xlb_persist_entry {
	struct xlb_ip ep_addr; /* 0: the endpoint chosen (its index may be reused by another) */
	__u32 ep_idx;	       /* 16 */
	__u32 pad;	       /* 20 */
	__u64 last_seen_ns;    /* 24 */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_persist_entry) == 32, "persist entry size");
XLB_ASSERT_OFFSET(struct xlb_persist_entry, last_seen_ns, 24);

#define XLB_MAGLEV_DEFAULT_SIZE 16381 /* prime */
#define XLB_MAGLEV_MAX_SIZE 65537     /* prime */

/* maglev: each rule has two table slots in xlb_maglev_v2. The control plane fills the slot the
 * rule does not use, then replaces the rule value (one atomic map update) with maglev_gen naming
 * it: a packet sees a rule together with the table built for exactly its endpoints, never a
 * half-updated pair, so no fallback is needed and every node picks alike at every moment. */
#define XLB_MAGLEV_GENERATIONS 2
static inline __u32 xlb_maglev_key(__u32 svc_id, __u32 gen)
{
	return svc_id * XLB_MAGLEV_GENERATIONS + (gen & 1);
}

/* VIPs the datapath answers ARP and ICMP echo for. Value: number of rules on the VIP. */
struct xlb_vip_info {
	__u32 rules; /* 0 */
	__u32 flags; /* 4: none defined yet, zero */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_vip_info) == 8, "vip info size");

/* Per managed interface: its MAC, needed to answer ARP in the datapath. */
struct xlb_iface {
	__u8 mac[6]; /* 0 */
	__u16 pad;   /* 6 */
	__u32 flags; /* 8 */
};
XLB_STATIC_ASSERT(sizeof(struct xlb_iface) == 12, "iface size");
XLB_ASSERT_OFFSET(struct xlb_iface, flags, 8);

#endif

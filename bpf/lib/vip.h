/* Is this address one of the VIPs the control plane published? And what a TCP/UDP packet that
 * matches no rule is: traffic to a VIP without a rule, a DSR backend's reply routed via the LB,
 * or ordinary traffic the LB only routes. */
#ifndef XLB_BPF_VIP_H
#define XLB_BPF_VIP_H

#include <linux/pkt_cls.h>

#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/verdict.h"

static __always_inline int is_vip(const struct xlb_ip *addr)
{
	return bpf_map_lookup_elem(&XLB_MAP_VIP_ID, addr) != NULL;
}

/* Sent from VIP:port of a DSR rule: the backend answers its client with the VIP as source, and
 * that answer reached the LB (the LB is the backend's route to the client), so DSR saves
 * nothing. Ordinary traffic costs one VIP lookup; the rule lookup runs only for a VIP source. */
static __always_inline int is_dsr_reply(const struct xlb_pkt *p)
{
	struct xlb_svc_key key = {};
	struct xlb_svc *svc;

	if (!is_vip(&p->saddr))
		return 0;
	key.vip = p->saddr;
	key.port = p->sport;
	key.proto = p->proto;
	key.family = p->family;
	svc = bpf_map_lookup_elem(&XLB_MAP_SVC_ID, &key);
	return svc && svc->mode == XLB_MODE_DSR;
}

/* A TCP/UDP packet no rule balances: handed to the kernel untouched, under its reason. Its own
 * BPF function so its rule key does not grow the entry program's stack frame. */
static __noinline xlb_verdict pass_unbalanced(const struct xlb_pkt *p)
{
	if (is_vip(&p->daddr))
		return verdict_pass(XLB_STAT_PASS_NO_RULE);
	if (is_dsr_reply(p))
		return verdict_pass(XLB_STAT_PASS_DSR_REPLY);
	return verdict_pass(XLB_STAT_PASS_NOT_VIP);
}

#endif

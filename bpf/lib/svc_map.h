/* The rule map, (VIP, port, protocol) -> rule: read by the TC program and by xlb_steer (the
 * fullproxy sk_lookup program), which share the one pinned map. */
#ifndef XLB_BPF_SVC_MAP_H
#define XLB_BPF_SVC_MAP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xlb/abi/xlb.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct xlb_svc_key);
	__type(value, struct xlb_svc);
	__uint(max_entries, XLB_DEFAULT_MAX_SERVICES); /* set at load */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} XLB_MAP_SVC_ID SEC(".maps");

#endif

/* xlb XDP datapath: the common packet path before any skb exists (xlbd --attach=xdp|auto). The
 * same packet library as TC (lib/entry.h), compiled for the XDP context; it shares TC's maps
 * (the loader reuses them: src/datapath) and passes to the TC program behind it what needs an
 * skb (verdict_to_skb). */
#define XLB_HOOK_XDP
#include "lib/entry.h"

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xlb_xdp_ingress(struct xdp_md *ctx)
{
	return xlb_packet_entry(ctx);
}

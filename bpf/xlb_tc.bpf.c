/* xlb TC ingress datapath: runs on clsact ingress of every interface the LB manages, alone
 * (--attach=tc) or behind the XDP program (xlb_xdp.bpf.c), taking what XDP passes. The packet
 * path is lib/entry.h, compiled here for the skb context. */
#include "lib/entry.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int xlb_ingress(struct __sk_buff *skb)
{
	return xlb_packet_entry(skb);
}

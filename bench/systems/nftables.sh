# shellcheck shell=bash
# nftables: kernel DNAT in the LB namespace with `numgen inc` round robin — what kube-proxy's
# iptables mode does (conntrack + NAT in the kernel's stack).

NFT_TABLE=xlb_bench

nftables_up() {
  nsx lb nft -f - <<NFT
table ip $NFT_TABLE {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $VIP tcp dport $BENCH_HTTP_PORT dnat to numgen inc mod 2 map { 0 : $B1_IP, 1 : $B2_IP }
    ip daddr $VIP tcp dport $BENCH_IPERF_PORT dnat to $B1_IP
  }
}
NFT
}

nftables_down() {
  nsx lb nft delete table ip "$NFT_TABLE"
}

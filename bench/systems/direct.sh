# shellcheck shell=bash
# shellcheck disable=SC2034  # SYS_IPERF_HOST is read by bench/system.sh
# direct: the LB namespace only routes — the limit every other system is compared with. The VIP
# (held on the backends' lo) is an ECMP route over both backends, hashed on the L4 tuple, so the
# two nginx backends share the load as they do behind a load balancer; no NAT, no conntrack.
# iperf3 goes straight to b1 (its control and data connections must reach the same server).

direct_up() {
  sysctl_set lb net.ipv4.fib_multipath_hash_policy=1
  route_add lb "$VIP/32" nexthop via "$B1_IP" dev eth1 nexthop via "$B2_IP" dev eth1
  SYS_IPERF_HOST=$B1_IP
}

direct_down() {
  ip -n "$(ns_name lb)" route del "$VIP/32"
}

# direct6: the same over IPv6 (V6_VIP an ECMP /128 over both backends), the base of xlb-nat6.
direct6_up() {
  sysctl_set lb net.ipv6.fib_multipath_hash_policy=1
  ip -n "$(ns_name lb)" -6 route add "$V6_VIP/128" nexthop via "$B1_6" dev eth1 nexthop via "$B2_6" dev eth1
  SYS_HTTP_HOST="[$V6_VIP]"
  SYS_IPERF_HOST=$B1_6
}

direct6_down() {
  ip -n "$(ns_name lb)" -6 route del "$V6_VIP/128"
}

# shellcheck shell=bash
# shellcheck disable=SC2034  # the topology functions set address variables for the caller
# The e2e topologies. Each builds its namespaces and sets its address variables; xlbd is not
# started here (scenarios and the demo decide how).

# Two-arm NAT: client and backends on separate subnets; the LB routes between them and is the
# backends' default gateway, so replies come back through it.
#
#   client 10.1.1.10 ──eth0── lb ──eth1 10.1.2.1── [sw: br0] ──┬── b1 10.1.2.10
#                      10.1.1.1                                 └── b2 10.1.2.11
topo_two_arm() {
  CLIENT_IP=10.1.1.10
  LB_CLIENT_IP=10.1.1.1
  LB_BACKEND_IP=10.1.2.1
  B1_IP=10.1.2.10
  B2_IP=10.1.2.11
  VIP=20.20.20.1
  ns_create client lb sw b1 b2
  veth_pair client eth0 lb eth0
  addr_add client eth0 "$CLIENT_IP/24"
  addr_add lb eth0 "$LB_CLIENT_IP/24"
  route_add client default via "$LB_CLIENT_IP"

  bridge_create sw br0
  bridge_connect sw br0 lb eth1
  addr_add lb eth1 "$LB_BACKEND_IP/24"
  topo_backends br0 "$LB_BACKEND_IP"
  sysctl_set lb net.ipv4.ip_forward=1
}

# topo_two_arm_ipv6: IPv6 beside topo_two_arm's IPv4 (after it; every address nodad). The
# client and the backends route IPv6 through the LB, which forwards IPv6.
#
#   client 2001:db8:c::10 ── lb 2001:db8:c::1 | 2001:db8:b::1 ── b1 2001:db8:b::10, b2 ...::11
#   VIP6 2001:db8:f::100 (on no interface)
topo_two_arm_ipv6() {
  CLIENT6=2001:db8:c::10
  LB_CLIENT6=2001:db8:c::1
  LB_BACKEND6=2001:db8:b::1
  B1_6=2001:db8:b::10
  B2_6=2001:db8:b::11
  VIP6=2001:db8:f::100
  addr6_add client eth0 "$CLIENT6/64"
  addr6_add lb eth0 "$LB_CLIENT6/64"
  addr6_add lb eth1 "$LB_BACKEND6/64"
  ip -n "$(ns_name client)" -6 route add default via "$LB_CLIENT6"
  local b ip
  for b in b1 b2; do
    ip=B${b#b}_6
    addr6_add "$b" eth0 "${!ip}/64"
    ip -n "$(ns_name "$b")" -6 route add default via "$LB_BACKEND6"
  done
  sysctl_set lb net.ipv6.conf.all.forwarding=1
}

# topo_backends <bridge> <gateway>: b1 and b2 (namespaces already created) on the switch's
# <bridge> at $B1_IP and $B2_IP (/24), their default route via <gateway>.
topo_backends() {
  local bridge=$1 gateway=$2 b ip
  for b in b1 b2; do
    ip=B${b#b}_IP
    bridge_connect sw "$bridge" "$b" eth0
    addr_add "$b" eth0 "${!ip}/24"
    route_add "$b" default via "$gateway"
  done
}

# One-arm (loxilb's documented layout): client, LB and backend share one subnet; the VIP is an
# unused address of that subnet, answered (ARP) by the LB's datapath only.
#
#   [sw: br0] ──┬── client 10.9.16.10
#               ├── lb     10.9.16.1      VIP 10.9.16.249 (on no interface)
#               └── b1     10.9.16.20
topo_one_arm() {
  CLIENT_IP=10.9.16.10
  LB_IP=10.9.16.1
  B1_IP=10.9.16.20
  VIP=10.9.16.249
  ns_create sw client lb b1
  bridge_create sw br0
  local host ip
  for host in client lb b1; do
    bridge_connect sw br0 "$host" eth0
  done
  for host in client:$CLIENT_IP lb:$LB_IP b1:$B1_IP; do
    ip=${host#*:}
    addr_add "${host%%:*}" eth0 "$ip/24"
  done
  route_add b1 default via "$LB_IP"
  sysctl_set lb net.ipv4.ip_forward=1
}

# shellcheck shell=bash
# shellcheck disable=SC2034  # sets address variables for the systems and the measurements
# The one benchmark topology, shared by every system under test: the e2e two-arm layout
# (tests/e2e/lib/topologies.sh) plus what any of the systems needs, set up once for the run.
#
#   client 10.1.1.10 ──eth0── lb ──eth1 10.1.2.1── [sw: br0] ──┬── b1 10.1.2.10  nginx :80
#                      10.1.1.1                                 └── b2 10.1.2.11  iperf3 :5201 (b1)
#
# The backends hold the VIP on lo (arp_ignore/arp_announce keep them from answering ARP for it):
# DSR needs it, and the `direct` system routes the VIP to them. Their default gateway is the LB.

BENCH_HTTP_PORT=80
BENCH_IPERF_PORT=5201
# The IPv6 twin of the layout (nodad: no duplicate detection delay), for direct6 and xlb-nat6.
CLIENT6=2001:db8:c1::10
LB_CLIENT6=2001:db8:c1::1
LB_BACKEND6=2001:db8:c2::1
B1_6=2001:db8:c2::10
B2_6=2001:db8:c2::11
V6_VIP=2001:db8:f::1

bench_topology() {
  topo_two_arm
  local b
  for b in b1 b2; do
    addr_add "$b" lo "$VIP/32"
    sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
    bench_http_backend "$b"
  done
  bench_topology6
  bg_run b1 iperf3-b1 iperf3 --server --port "$BENCH_IPERF_PORT"
  wait_listening b1 tcp "$BENCH_IPERF_PORT" || fail "iperf3 server on b1 did not listen"
  # New connections/s: the client reuses its ports at once (the server closes first).
  sysctl_set client net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
  sysctl_set lb net.ipv4.ip_local_port_range="1024 65535"
}

# bench_topology6: IPv6 addresses on the same links, the backends' IPv6 default route via the
# LB, V6_VIP on their lo (for direct6); IPv6 forwarding on the LB.
bench_topology6() {
  local host ns dev
  for host in client:eth0:$CLIENT6 lb:eth0:$LB_CLIENT6 lb:eth1:$LB_BACKEND6 b1:eth0:$B1_6 \
    b2:eth0:$B2_6; do
    IFS=: read -r ns dev _ <<<"$host"
    addr6_add "$ns" "$dev" "${host#*:*:}/64"
  done
  ip -n "$(ns_name client)" -6 route add default via "$LB_CLIENT6"
  for host in b1 b2; do
    ip -n "$(ns_name "$host")" -6 route add default via "$LB_BACKEND6"
    addr6_add "$host" lo "$V6_VIP/128"
  done
  sysctl_set lb net.ipv6.conf.all.forwarding=1
}

# bench_http_backend <ns>: nginx on :80 answering "<ns>\n" to GET /, tuned for load: no access
# log, unlimited keep-alive requests (wrk's connections must stay open for the whole run);
# /status (stub_status, from the backend itself only) counts its connections and requests.
bench_http_backend() {
  local ns=$1 dir="$E2E_RUN_DIR/nginx-$1"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir")
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  server {
    listen $BENCH_HTTP_PORT backlog=4096;
    listen [::]:$BENCH_HTTP_PORT backlog=4096;
    access_log off;
    location = / { default_type text/plain; return 200 "$ns\n"; }
    location = /status { stub_status; allow 127.0.0.1; deny all; }
  }
}
CONF
  bg_run "$ns" "nginx-$ns" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  wait_listening "$ns" tcp "$BENCH_HTTP_PORT" || fail "nginx in $ns did not listen" \
    "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-$ns.log" 2>/dev/null)"
}

# bench_forget_connections: removes the TCP connections a system's traffic left on every host
# (TIME_WAIT, and the closing states). They outlive the system by up to 60 s, and the next
# system's connections reuse their tuples:
#  - HAProxy terminates the client's connections in the LB, leaving TIME_WAIT sockets for
#    VIP:80 <-> client:port there. Under `direct` a forwarded SYN of such a tuple is matched by
#    the LB's TCP early demux, and ip_forward drops a packet that carries a socket (a
#    skb:kfree_skb at ip_forward): up to 16 of 100 requests failed in the next `direct` round;
#  - the backends hold TIME_WAIT sockets of `direct` and DSR connections (same tuples, other
#    client timestamps), where PAWS rejects a new SYN until the client retries;
#  - a proxy killed with connections open leaves them orphaned in the LB in FIN-WAIT-1/2 or
#    LAST-ACK, for up to tcp_fin_timeout (60 s), caught by early demux like a TIME_WAIT: after
#    xlb-https (5,000 idle TLS clients, then the proxy stopped) thousands stayed in FIN-WAIT-2,
#    and `direct`'s next round made 1,000-5,000 new connections/s instead of 15,000 (its SYNs
#    on those tuples swallowed, retried after 1 s), once failing its set-up check outright.
# So every connection in any state but listening goes, not only TIME_WAIT.
# `ss -K` needs a kernel with CONFIG_INET_DIAG_DESTROY; without it the check below says so.
# A connection still established after the system's teardown is one the system lost mid-way (a
# request counted as an error, its other end never told): logged with its tuple, then reset too,
# so it cannot hold a tuple or a worker in the next system's rounds.
bench_forget_connections() {
  local ns left open
  for ns in client lb b1 b2; do
    open=$(nsx "$ns" ss -H -t -n state established)
    if [[ -n $open ]]; then
      log "$ns: $(wc -l <<<"$open") connection(s) left established, reset: $(tr -s ' \n' ' ' <<<"$open")"
      nsx "$ns" ss -K -H -t state established >/dev/null
    fi
    nsx "$ns" ss -K -H -t state connected >/dev/null
    left=$(nsx "$ns" ss -H -t state connected | wc -l)
    ((left == 0)) || fail "$left TCP sockets left in $ns after 'ss -K'" \
      "$(nsx "$ns" ss -H -t -n state connected | head -5)" \
      "the kernel needs CONFIG_INET_DIAG_DESTROY for the bench to reset hosts between systems"
  done
}

# bench_state: what a system may change on the hosts (IPv4 addresses and routes, nftables
# rules, TC qdiscs and filters on the LB, pinned maps, open connections). Each system's teardown
# must bring it back to what it was before the system's setup (after bench_forget_connections).
# Neighbour entries are left out
# (they age by themselves and every system resolves the same ones); connections are all gone
# by then (bench_forget_connections).
bench_state() {
  local ns dev
  for ns in client lb b1 b2; do
    echo "## $ns"
    ip -n "$(ns_name "$ns")" -4 -o addr show | awk '{print $2, $4}'
    ip -n "$(ns_name "$ns")" -4 route show table all
    nsx "$ns" nft list ruleset
    echo "established: $(nsx "$ns" ss -H -t state established | wc -l)"
  done
  for dev in eth0 eth1; do
    echo "## lb $dev"
    nsx lb tc qdisc show dev "$dev" | grep -v 'qdisc noqueue' || true
    nsx lb tc filter show dev "$dev" ingress
    nsx lb tc filter show dev "$dev" egress
  done
  echo "## pinned maps"
  find "$(xlb_pin_dir)" -mindepth 1 2>/dev/null || true
}

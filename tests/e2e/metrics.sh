#!/usr/bin/env bash
# /metrics during traffic (NAT two-arm): N sequential HTTP requests through the VIP add exactly
# N new flows to the rule, as `xlbctl get lb -o json` also says; packets and bytes move; the
# endpoints' numbers add up to the rule's; no packet is dropped; a held-open connection shows
# in active flows and conntrack; every scrape passes `promtool check metrics`.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e metrics" 90

N=20         # even: round robin gives each endpoint N/2
CT_SIZE=16384
RULE=('rule="web"' 'vip="20.20.20.1"' 'port="80"' 'protocol="tcp"')

# scrape <name>: GET /metrics from inside the LB namespace into $E2E_RUN_DIR/<name>.prom, and
# lint it with promtool.
scrape() {
  local file="$E2E_RUN_DIR/$1.prom" lint
  nsx lb curl -sS --fail --max-time 5 "http://$XLB_API/metrics" >"$file"
  if command -v promtool >/dev/null; then
    lint=$(promtool check metrics <"$file" 2>&1) ||
      fail "promtool check metrics rejects the $1 scrape" "$lint"
  fi
}

# metric <name> <metric> [label="value"...]: the sum of the samples of <metric> in scrape
# <name> whose labels include every given pair; empty when none does. Just enough of the text
# format for these asserts (one sample per line, value last); promtool checks the rest.
metric() {
  local file="$E2E_RUN_DIR/$1.prom" name=$2
  shift 2
  local IFS=$'\037'
  awk -v name="$name" -v filters="$*" '
    BEGIN { nwant = split(filters, want, "\037") }
    /^#/ { next }
    {
      series = $0; sub(/ [^ ]*$/, "", series)
      base = series; sub(/[{].*/, "", base)
      if (base != name) next
      for (i = 1; i <= nwant; i++) if (index(series, want[i]) == 0) next
      found = 1; sum += $NF
    }
    END { if (found) printf "%.0f\n", sum }' "$file"
}

# The rule's and endpoints' counters in scrape <name>, one line each.
traffic_lines() { grep -E '^xlb_(rule|endpoint)_[a-z_]+_total' "$E2E_RUN_DIR/$1.prom"; }

# Two scrapes 0.3 s apart agree: the last packets of the requests have been counted.
counters_settled() {
  scrape settle-a
  sleep 0.3
  scrape settle-b
  [[ $(traffic_lines settle-a) == "$(traffic_lines settle-b)" ]]
}

step "topology: client | lb | b1, b2 (nginx :8080); rule web, rr"
topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1 --ct-size="$CT_SIZE" --ct-gc-interval=1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=web
command -v promtool >/dev/null || log "promtool not installed: scrapes are not linted"

scrape before
assert_eq 0 "$(metric before xlb_rule_new_flows_total "${RULE[@]}")" "new flows of a fresh rule"
assert_eq "$CT_SIZE" "$(metric before xlb_conntrack_capacity_entries)" "conntrack capacity"

step "$N sequential requests to http://$VIP/"
answers=$(http_get_n client "http://$VIP/" "$N")
assert_eq "$N" "$(($(count_lines "$answers" b1) + $(count_lines "$answers" b2)))" \
  "requests answered by a backend"
wait_until 5 counters_settled || fail "the counters in /metrics kept moving after the requests"
scrape after

step "the rule counted exactly $N new flows, and moved packets and bytes"
# Each curl is one TCP connection, so one conntrack entry and one new flow; nothing else sends
# to the VIP in these namespaces.
delta() { echo $(($(metric after "$@") - $(metric before "$@"))); }
assert_eq "$N" "$(delta xlb_rule_new_flows_total "${RULE[@]}")" "new flows of rule web"
assert_eq "$N" "$(delta xlb_datapath_packets_total 'verdict="forward"' 'reason="new"')" \
  "flows the datapath started"
packets=$(delta xlb_rule_packets_total "${RULE[@]}")
bytes=$(delta xlb_rule_bytes_total "${RULE[@]}")
# At least SYN, request and FIN from the client and SYN+ACK from the endpoint per connection;
# every counted frame is Ethernet + IPv4 + TCP, at least 54 bytes.
assert_ge "$((4 * N))" "$packets" "packets of rule web"
assert_ge "$((54 * packets))" "$bytes" "bytes of rule web ($packets packets)"
assert_eq 0 "$(metric after xlb_datapath_packets_total 'verdict="drop"')" "packets dropped"
log "rule web: $N new flows, $packets packets, $bytes bytes"

step "the endpoints add up to the rule; round robin split the flows"
for counter in packets bytes new_flows; do
  assert_eq "$(metric after "xlb_rule_${counter}_total" "${RULE[@]}")" \
    "$(metric after "xlb_endpoint_${counter}_total" "${RULE[@]}")" \
    "$counter: rule web = the sum of its endpoints"
done
for ep in "$B1_IP" "$B2_IP"; do
  assert_eq "$((N / 2))" "$(delta xlb_endpoint_new_flows_total "${RULE[@]}" "endpoint=\"$ep:8080\"")" \
    "new flows of endpoint $ep"
done

step "xlbctl get lb -o json shows the same counters as /metrics"
for counter in packets bytes new_flows; do
  assert_eq "$(metric after "xlb_rule_${counter}_total" "${RULE[@]}")" \
    "$(lb_rule_counter "$VIP" 80 tcp "$counter")" "rule $counter: /metrics vs xlbctl"
  for ep in "$B1_IP" "$B2_IP"; do
    assert_eq "$(metric after "xlb_endpoint_${counter}_total" "${RULE[@]}" "endpoint=\"$ep:8080\"")" \
      "$(lb_endpoint_counter "$VIP" 80 tcp "$ep" "$counter")" "$ep $counter: /metrics vs xlbctl"
  done
done
xlbctl get lb -o wide

step "a held-open connection: active flows and conntrack entries"
hold_tcp_open client "$VIP" 80 30
wait_until 3 tcp_client_port client "$VIP" 80 || fail "the held-open connection did not connect"
# Conntrack series come from the aging pass (every second here), never from a walk per scrape.
est_seen() {
  scrape held
  (($(metric held xlb_conntrack_flows 'state="est"') >= 1))
}
wait_until 5 est_seen || fail "no est flow in /metrics after 5 s" \
  "$(grep -E '^xlb_conntrack' "$E2E_RUN_DIR/held.prom")"
assert_ge 2 "$(metric held xlb_conntrack_entries)" "conntrack entries (orig + reply)"
active=$(metric held xlb_rule_active_flows "${RULE[@]}")
assert_ge 1 "$active" "active flows of rule web"
assert_eq "$active" "$(metric held xlb_endpoint_active_flows "${RULE[@]}")" \
  "active flows: rule web = the sum of its endpoints"
grep -E '^xlb_(conntrack|rule_active)' "$E2E_RUN_DIR/held.prom" | sed 's/^/      /'

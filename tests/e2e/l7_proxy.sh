#!/usr/bin/env bash
# fullproxy (L7) on the two-arm topology, nginx backends reporting what they were sent:
# X-Forwarded-For in each --xff mode (a forged header included, and a trusted client keeping its
# chain); a PPv2 header believed from a trusted peer only; per-request Host routing on one
# keep-alive connection and on pipelined requests (answered in order); backend connection
# reuse under wrk (a few dozen connections for thousands of requests, one per request with
# --reuse=never);
# smuggling and bad framing refused with a 4xx, a closed connection and nothing at the backend;
# a backend answering with both Content-Length and Transfer-Encoding gets the client a 502. The
# VIP is on no interface: the LB's kernel never answers ARP for it, xlb's datapath does, and not
# while the node is an HA BACKUP. IPv6 beside it (issue 24, addresses nodad): an IPv6 client
# through an IPv6 fullproxy VIP to nginx over IPv6, its address in X-Forwarded-For, balanced per
# request on one connection, a trusted IPv6 network keeping its chain.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$(dirname "$0")/lib/l7.sh"
e2e_init "e2e fullproxy" 90

step "topology: client | lb | b1, b2 (nginx :8080 :8081 :8084, a CL+TE answerer on b1:9000)"
topo_two_arm
topo_two_arm_ipv6
start_l7_backend b1 b1 8080 8081
start_l7_backend b2 b2 8080 8081 8084 8085
start_bad_response_backend b1 9000
xlbd_start lb --interfaces=eth0,eth1 --l7-workers=2
eps="$B1_IP:1,$B2_IP:1"
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$eps" --mode=fullproxy --name=web
xlbctl create lb "$VIP" --tcp=80:8081 --endpoints="$B1_IP:1" --mode=fullproxy --host=www.a.com \
  --name=site-a
xlbctl create lb "$VIP" --tcp=80:8081 --endpoints="$B2_IP:1" --mode=fullproxy --host=WWW.B.com \
  --name=site-b
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$eps" --mode=fullproxy --xff=replace --name=repl
xlbctl create lb "$VIP" --tcp=82:8080 --endpoints="$eps" --mode=fullproxy --xff=replace \
  --xff-trusted=10.1.1.0/24 --name=trusted
xlbctl create lb "$VIP" --tcp=83:8080 --endpoints="$eps" --mode=fullproxy --xff=off --name=off
xlbctl create lb "$VIP" --tcp=84:8084 --endpoints="$B2_IP:1" --mode=fullproxy --name=strict
xlbctl create lb "$VIP" --tcp=85:9000 --endpoints="$B1_IP:1" --mode=fullproxy --name=bad-resp
xlbctl create lb "$VIP" --tcp=86:8080 --endpoints="$eps" --mode=fullproxy --reuse=never \
  --name=never
xlbctl create lb "$VIP" --tcp=87:8085 --endpoints="$B2_IP:1" --mode=fullproxy --reuse=always \
  --name=always
xlbctl create lb "$VIP" --tcp=88:8080 --endpoints="$B1_IP:1" --mode=fullproxy --host=only.a.com \
  --name=only-a
eps6="[$B1_6]:1,[$B2_6]:1"
xlbctl create lb "$VIP6" --tcp=80:8080 --endpoints="$eps6" --mode=fullproxy --name=web6
xlbctl create lb "$VIP6" --tcp=82:8080 --endpoints="$eps6" --mode=fullproxy --xff=replace \
  --xff-trusted=2001:db8:c::/64 --name=trusted6
wide=$(xlbctl get lb -o wide)
log "$wide"
assert_contains "$wide" "host=www.b.com xff=append reuse=safe" "get lb -o wide: host, xff, reuse"
assert_contains "$wide" "host=* xff=replace trusted=10.1.1.0/24 reuse=safe" "trusted networks"
wait_until 10 proxy_running || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"
wait_until 10 vip_answers "$VIP" || fail "no answer from http://$VIP/" "$(xlbd_log_tail)"

step "the VIP is no address of the LB; ARP is answered by xlb's datapath alone, not as a BACKUP"
assert_not_contains "$(ip -n "$(ns_name lb)" -br addr)" "$VIP" "VIP on an LB interface"
assert_not_contains "$(ip -n "$(ns_name lb)" route show table local)" "$VIP" "VIP in the local table"
lb_mac=$(mac_of lb eth0)
answers=$(nsx client python3 "$E2E_TOOLS/arp_who_has.py" eth0 "$VIP" 0.3)
assert_eq "$lb_mac" "$answers" "MACs answering ARP for $VIP (the LB's eth0: $lb_mac)"
xlbctl set ha default --state=BACKUP
answers=$(nsx client python3 "$E2E_TOOLS/arp_who_has.py" eth0 "$VIP" 0.3)
assert_eq "" "$answers" "MACs answering ARP for $VIP while the LB is an HA BACKUP"
xlbctl set ha default --state=NOT_DEFINED
answers=$(nsx client python3 "$E2E_TOOLS/arp_who_has.py" eth0 "$VIP" 0.3)
assert_eq "$lb_mac" "$answers" "MACs answering ARP for $VIP once no longer BACKUP"

step "X-Forwarded-For: append, replace, replace with a trusted client, off; a forged header"
forged=(-H "X-Forwarded-For: 6.6.6.6" -H "X-Real-IP: 6.6.6.6")
answer=$(nsx client curl -sS --max-time 3 "http://$VIP/")
assert_contains "$answer" "xff=$CLIENT_IP xfp=http xfport=80" "append, no header from the client"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" "http://$VIP/")
assert_contains "$answer" "xff=6.6.6.6, $CLIENT_IP " "append keeps the chain, adds the client"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" "http://$VIP:81/")
assert_contains "$answer" "xff=$CLIENT_IP xfp=http xfport=81" "replace drops a forged chain"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" -H "X-Forwarded-Proto: https" \
  "http://$VIP:82/")
assert_contains "$answer" "xff=6.6.6.6, $CLIENT_IP xfp=https" "a trusted client keeps its chain"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" "http://$VIP:83/")
assert_contains "$answer" "xff=6.6.6.6 xfp=http" "off leaves the client's header alone"

step "IPv6: client $CLIENT6 through fullproxy VIP [$VIP6] to nginx on [$B1_6] and [$B2_6]"
assert_eq 2 "$(grep -c "| $VIP6 .* fullproxy .*trusted=2001:db8:c::/64\|| $VIP6 .* web6 .* fullproxy" <<<"$wide")" \
  "get lb -o wide: the IPv6 fullproxy rules (and the trusted IPv6 network)"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" "http://[$VIP6]/")
assert_contains "$answer" "xff=6.6.6.6, $CLIENT6 xfp=http xfport=80" "append: the client's IPv6 address"
answer=$(nsx client curl -sS --max-time 3 "${forged[@]}" "http://[$VIP6]:82/")
assert_contains "$answer" "xff=6.6.6.6, $CLIENT6 xfp=http xfport=82" "a trusted IPv6 client keeps its chain"
get_a='GET / HTTP/1.1\r\nHost: a\r\n\r\n'
out=$(http_raw client "$VIP6" 80 "$get_a" "$get_a" "$get_a" "$get_a" \
  'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
log "$out"
assert_eq "closed" "$(tail -n1 <<<"$out")" "the connection, after Connection: close"
assert_eq 5 "$(grep -c "xff=$CLIENT6 " <<<"$out")" "answers naming the client's IPv6 address"
assert_eq "b1 b2" "$(head -n5 <<<"$out" | awk '{print $2}' | sort -u | paste -sd' ')" \
  "endpoints that answered one connection's requests (balanced per request)"
assert_gt 0 "$(l7_metric xlb_l7_requests_total web6)" "requests of the IPv6 rule in /metrics"
diag=$(xlbctl diagnose lb "$VIP6" --tcp=80 2>&1 || true)
log "$diag"
assert_contains "$diag" "diagnose [$VIP6]:80/tcp" "diagnose names the IPv6 fullproxy rule"
assert_not_contains "$diag" "No packet for" "diagnose after the IPv6 fullproxy rule's traffic"

step "PPv2: its source is the client from a trusted peer (:82), refused from others (:81)"
ppv2='\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02\x07\x14\x14\x14\x01\x30\x39\x00\x52'
out=$(http_raw client "$VIP" 82 "${ppv2}GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
assert_contains "$(head -n1 <<<"$out")" "xff=192.0.2.7 " "the PPv2 source as the client (trusted)"
out=$(http_raw client "$VIP" 81 "${ppv2}GET / HTTP/1.1\r\nHost: a\r\n\r\n")
assert_eq "400 closed" "$(head -n1 <<<"$out" | awk '{print $1}') $(tail -n1 <<<"$out")" \
  "PPv2 from an untrusted peer"

step "keep-alive requests on one connection, different Hosts, reach the hosts' rules"
# The connection stays open across them (each is answered on it) until the client's
# Connection: close, which the proxy honours at once (no wait for a timeout to tell).
out=$(http_raw client "$VIP" 80 'GET / HTTP/1.1\r\nHost: www.a.com\r\n\r\n' \
  'GET / HTTP/1.1\r\nHost: WWW.B.COM:80\r\n\r\n' 'GET / HTTP/1.1\r\nHost: other\r\n\r\n' \
  'GET / HTTP/1.1\r\nHost: www.a.com\r\nConnection: close\r\n\r\n')
log "$out"
assert_eq "b1 host=www.a.com" "$(sed -n 1p <<<"$out" | awk '{print $2, $3}')" "request 1: site-a"
assert_eq "b2 host=www.b.com" "$(sed -n 2p <<<"$out" | awk '{print $2, $3}')" "request 2: site-b"
assert_contains "$(sed -n 3p <<<"$out")" "host=other" "request 3: the default rule"
assert_eq "b1 host=www.a.com" "$(sed -n 4p <<<"$out" | awk '{print $2, $3}')" "request 4: site-a"
assert_eq closed "$(tail -n1 <<<"$out")" "the client connection after Connection: close"

step "no rule for the Host and no default rule on the port: 404 from the proxy"
out=$(http_raw client "$VIP" 88 --each 'GET / HTTP/1.1\r\nHost: www.b.com\r\n\r\n' \
  'GET / HTTP/1.1\r\nHost: Only.A.com:88\r\nConnection: close\r\n\r\n')
assert_eq "404 closed" "$(head -n1 <<<"$out" | awk '{print $1, $NF}')" "unknown host"
assert_contains "$(sed -n 2p <<<"$out")" "200 b1 host=only.a.com" "the host's own rule"

step "pipelined requests, sent in one write, are answered in order, each by its host's rule"
out=$(http_raw client "$VIP" 80 --pipeline 'GET / HTTP/1.1\r\nHost: www.b.com\r\n\r\n' \
  'GET / HTTP/1.1\r\nHost: www.a.com\r\n\r\n' \
  'GET / HTTP/1.1\r\nHost: www.b.com\r\nConnection: close\r\n\r\n')
log "$out"
assert_eq "b2 host=www.b.com|b1 host=www.a.com|b2 host=www.b.com" \
  "$(head -n3 <<<"$out" | awk '{print $2, $3}' | paste -sd'|')" "pipelined answers, in order"

step "reuse: wrk -c20 opens a few dozen backend connections; --reuse=never one per request"
for port in 80:web 86:never; do
  b1_before=$(log_lines "$E2E_RUN_DIR/nginx-b1/access-8080.log")
  b2_before=$(log_lines "$E2E_RUN_DIR/nginx-b2/access-8080.log")
  nsx client wrk -t2 -c20 -d1s "http://$VIP:${port%%:*}/" >"$E2E_RUN_DIR/wrk-${port#*:}.txt"
  # One snapshot of both logs: requests still in flight when wrk stopped are logged later.
  snapshot="$E2E_RUN_DIR/backend-log-${port#*:}"
  {
    tail -n +"$((b1_before + 1))" "$E2E_RUN_DIR/nginx-b1/access-8080.log" | sed 's/^/b1-/'
    tail -n +"$((b2_before + 1))" "$E2E_RUN_DIR/nginx-b2/access-8080.log" | sed 's/^/b2-/'
  } >"$snapshot"
  requests=$(log_lines "$snapshot")
  conns=$(distinct_connections "$snapshot")
  opened=$(l7_metric xlb_l7_backend_connections_total "${port#*:}")
  log "${port#*:}: $requests requests at the backends over $conns connections (metric: $opened opened)"
  assert_ge 2000 "$requests" "requests in 1 s of wrk -c20 (${port#*:})"
  if [[ ${port#*:} == web ]]; then
    assert_at_most_n 60 "$conns" "backend connections for $requests requests (reuse=safe)"
    assert_at_most_n 60 "$opened" "xlb_l7_backend_connections_total (reuse=safe)"
  else
    assert_eq "$requests" "$conns" "backend connections with --reuse=never: one per request"
  fi
done

step "--reuse=always: clients in turn share the pooled connections, but not one with a cut body"
reuse_log="$E2E_RUN_DIR/nginx-b2/access-8085.log"
# Each client closes after its answer (Connection: close is hop-by-hop: the backend connection
# stays open for the pool). One process plays the six clients, one connection each, in turn.
get_close='GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
http_raw client "$VIP" 87 --each "$get_close" "$get_close" "$get_close" "$get_close" \
  "$get_close" "$get_close" >/dev/null
# One connection per event loop at most (--l7-workers=2), against six without reuse.
assert_eq 6 "$(log_lines "$reuse_log")" "requests of six clients in turn"
assert_at_most_n 2 "$(distinct_connections "$reuse_log")" "backend connections for six clients"
# nginx answers before reading the body: that request was not sent whole, so its connection
# must not be pooled (the next request would be read as the rest of the body).
http_raw client "$VIP" 87 --wait=0.2 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc' >/dev/null
out=$(http_raw client "$VIP" 87 --each "$get_close" "$get_close" "$get_close" "$get_close")
assert_eq 4 "$(grep -c '^200 b2 .* closed$' <<<"$out")" "requests after the cut body answered:
$out"
# (Earlier requests may have used it: --reuse=always lets the POST take a pooled connection.)
shared=$(awk '/"POST / { post[$1] = 1; next } post[$1] { n++ } END { print n + 0 }' "$reuse_log")
assert_eq 0 "$shared" "requests after it on the cut body's backend connection"

step "smuggling and bad framing: 4xx, connection closed, nothing reaches the backend"
strict_log="$E2E_RUN_DIR/nginx-b2/access-8084.log"
long=$(head -c 20000 /dev/zero | tr '\0' a)
whats=() requests=()
while IFS='|' read -r what request; do
  whats+=("$what") requests+=("$request")
done <<REQUESTS
CL+TE|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n
TE+CL|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n
duplicate CL|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc
conflicting CL|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc
xchunked|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n
chunked, identity|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n
space before colon|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n
folded TE|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x\r\n chunked\r\n\r\n0\r\n\r\n
bare LF|GET / HTTP/1.1\nHost: a\n\n
bare CR|GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n
long chunk extension|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;$(head -c 300 /dev/zero | tr '\0' x)=y\r\na\r\n0\r\n\r\n
oversized header|GET / HTTP/1.1\r\nHost: a\r\nX-Big: $long\r\n\r\n
REQUESTS
# One client process, one connection per request.
mapfile -t answers < <(http_raw client "$VIP" 84 --each "${requests[@]}")
assert_eq "${#requests[@]}" "${#answers[@]}" "answers to the refused requests"
for i in "${!whats[@]}"; do
  what=${whats[$i]} out=${answers[$i]}
  log "$what: $out"
  assert_one_of "${out%% *}" "status for $what" 400 405 414 431
  assert_eq closed "${out##* }" "connection after $what"
done
assert_eq 0 "$(log_lines "$strict_log")" "requests that reached the backend of :84"
refused=$(nsx "$XLB_NS" curl -sS "http://$XLB_API/metrics" | grep -c '^xlb_l7_refused_total')
assert_gt 0 "$refused" "xlb_l7_refused_total series"

step "a backend answering with Content-Length and Transfer-Encoding: 502 to the client"
out=$(http_raw client "$VIP" 85 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
assert_eq 502 "$(head -n1 <<<"$out" | awk '{print $1}')" "status for a CL+TE response"
assert_gt 0 "$(l7_metric xlb_l7_responses_total bad-resp 'class="5xx"')" "5xx counted"

step "/metrics: per-rule requests, responses by class and the latency histogram"
assert_gt 0 "$(l7_metric xlb_l7_requests_total site-a)" "requests of site-a"
assert_gt 0 "$(l7_metric xlb_l7_responses_total web 'class="2xx"')" "2xx of web"
assert_gt 0 "$(l7_metric xlb_l7_request_duration_seconds_count web)" "latency histogram of web"

step "delete lb --host removes one host's rule; its requests go to the default rule"
xlbctl delete lb "$VIP" --tcp=80 --host=www.a.com
out=$(http_raw client "$VIP" 80 'GET / HTTP/1.1\r\nHost: www.a.com\r\nConnection: close\r\n\r\n')
assert_contains "$(head -n1 <<<"$out")" "conn=" "answered by the default rule"
assert_not_contains "$(xlbctl get lb -o wide)" "host=www.a.com" "the www.a.com rule is gone"

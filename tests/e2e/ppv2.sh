#!/usr/bin/env bash
# FullNAT with Proxy Protocol v2 (--ppv2en): nginx (`listen 8080 proxy_protocol`) answers with
# $proxy_protocol_addr and HAProxy (`bind :9090 accept-proxy`) with %[src]: both are the client's
# address although the connection comes from the LB; an 8 MiB download arrives intact (sha256) and an 8 MiB upload (PUT) is stored intact,
# both over connections whose sequence numbers the datapath shifts by the 28-byte header.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e FullNAT PPv2" 55

# answered_by_both <url> <answer-1> <answer-2>: 20 requests, each answered with one of the two
# lines (the backend's name, then the client address it was told), and both seen.
answered_by_both() {
  local url=$1 one=$2 two=$3 answers n1 n2
  answers=$(http_get_n client "$url" 20)
  n1=$(count_lines "$answers" "$one")
  n2=$(count_lines "$answers" "$two")
  assert_eq 20 "$((n1 + n2))" "answers '$one' or '$two' (all:
$(sort <<<"$answers" | uniq -c))"
  assert_gt 0 "$n1" "requests answered '$one'"
  assert_gt 0 "$n2" "requests answered '$two'"
}

step "topology: client | lb | b1, b2 (nginx :8080 proxy_protocol), no route back to the client"
topo_two_arm
for b in b1 b2; do
  ip -n "$(ns_name "$b")" route del default
done
big=$(e2e_file big.bin 8)
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1 "8080 proxy_protocol" 'b1 $proxy_protocol_addr $remote_addr'
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b2 b2 "8080 proxy_protocol" 'b2 $proxy_protocol_addr $remote_addr'
start_haproxy_ppv2_backend b1 hap1 9090
start_haproxy_ppv2_backend b2 hap2 9090
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullnat --ppv2en \
  --name=ppv2
xlbctl create lb "$VIP" --tcp=90:9090 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullnat --ppv2en \
  --name=ppv2-haproxy
xlbctl get lb -o wide

step "20 requests: the backend learns the client's address from the PPv2 header"
answered_by_both "http://$VIP/" "b1 $CLIENT_IP $LB_BACKEND_IP" "b2 $CLIENT_IP $LB_BACKEND_IP"
assert_contains "$(xlbctl get ct)" "fnat-$CLIENT_IP->$LB_BACKEND_IP:" "get ct shows FullNAT flows"

step "20 requests to HAProxy (accept-proxy): it reports the client's address as the source"
answered_by_both "http://$VIP:90/" "hap1 $CLIENT_IP" "hap2 $CLIENT_IP"

step "an 8 MiB download through the VIP arrives intact"
want=$(sha256sum <"$big" | cut -d' ' -f1)
got=$(nsx client curl -sS --fail --max-time 20 "http://$VIP/files/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of the 8 MiB download"

step "an 8 MiB upload (PUT) through the VIP is stored intact"
code=$(nsx client curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -T "$big" \
  "http://$VIP/upload/up.bin")
assert_one_of "$code" "HTTP status of the PUT" 201 204
stored=$(ls "$E2E_RUN_DIR"/nginx-b*/uploads/up.bin)
assert_eq "$(file_size "$big")" "$(file_size "$stored")" "size of the stored upload ($stored)"
assert_eq "$want" "$(sha256sum <"$stored" | cut -d' ' -f1)" "sha256 of the stored upload"
log "download and upload of $(file_size "$big") bytes intact"

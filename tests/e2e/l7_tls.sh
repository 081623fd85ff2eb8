#!/usr/bin/env bash
# fullproxy with --security=https: two hosts with their own certificates and a default rule on
# one VIP:443. Each client gets its host's certificate by SNI (curl trusts that certificate
# alone, so another one fails), a client without SNI or with an unknown name gets the default,
# the endpoint sees X-Forwarded-Proto https, TLS 1.1 is refused while TLS 1.2 is served, a key
# others may read is refused at create with one line naming the field (and nothing changes),
# and no answer of the API carries a key. e2ehttps to an nginx with TLS: verified against the
# rule's CA and the endpoint's IP (an nginx under another CA gets 502, counted by reason). A
# certificate reload in the middle of an open keep-alive connection: it goes on, new handshakes
# get the new certificate, a key others may read is refused and the renewed one keeps serving.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$(dirname "$0")/lib/l7.sh"
command -v openssl >/dev/null || {
  echo "SKIP: the https scenario needs openssl (bash scripts/install-deps.sh installs it)" >&2
  exit 77
}
e2e_init "e2e fullproxy https" 60

step "certificates: www.a.com, www.b.com, default.example (self-signed P-256, keys 0600)"
certs="$E2E_RUN_DIR/certs"
mkdir -p "$certs"
for cn in www.a.com www.b.com default.example; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=$cn" -addext "subjectAltName=DNS:$cn" -keyout "$certs/$cn.key" \
    -out "$certs/$cn.crt" 2>/dev/null
  chmod 600 "$certs/$cn.key"
done
# e2ehttps: a CA signing b1's nginx certificate (for its IP), and another CA.
for ca in ca other-ca; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=xlb e2e $ca" -keyout "$certs/$ca.key" -out "$certs/$ca.crt" 2>/dev/null
done
# tls_flags <cn>: the create flags of an https rule with that certificate.
tls_flags() { echo "--security=https --tls-cert=$certs/$1.crt --tls-key=$certs/$1.key"; }

step "topology: client | lb | b1, b2 (nginx :8080); VIP:443 default, www.a.com (b1), www.b.com (b2)"
topo_two_arm
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=b1" \
  -keyout "$certs/b1.key" -out "$certs/b1.csr" 2>/dev/null
openssl x509 -req -in "$certs/b1.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" \
  -CAcreateserial -days 1 -extfile <(echo "subjectAltName=IP:$B1_IP") -out "$certs/b1.crt" \
  2>/dev/null
L7_BACKEND_CERT="$certs/b1.crt" L7_BACKEND_KEY="$certs/b1.key" start_l7_backend b1 b1 8080 8443/tls
start_l7_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1
read -r -a flags <<<"$(tls_flags default.example)"
xlbctl create lb "$VIP" --tcp=443:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullproxy \
  --name=default "${flags[@]}"
read -r -a flags <<<"$(tls_flags www.a.com)"
xlbctl create lb "$VIP" --tcp=443:8080 --endpoints="$B1_IP:1" --mode=fullproxy \
  --host=www.a.com --name=site-a "${flags[@]}"
read -r -a flags <<<"$(tls_flags www.b.com)"
xlbctl create lb "$VIP" --tcp=443:8080 --endpoints="$B2_IP:1" --mode=fullproxy \
  --host=www.b.com --name=site-b "${flags[@]}"
assert_contains "$(xlbctl get lb -o wide)" "host=www.a.com xff=append reuse=safe tls=https" \
  "get lb -o wide"
wait_until 10 proxy_running || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"

# https_get <host> <trusted-cn>: GET https://<host>/ through the VIP (SNI <host>), trusting only
# <trusted-cn>'s certificate.
https_get() {
  nsx client curl -sS --max-time 3 --resolve "$1:443:$VIP" --cacert "$certs/$2.crt" "https://$1/"
}
a_answers() { https_get www.a.com www.a.com >/dev/null 2>&1; }
wait_until 10 a_answers || fail "no https answer from www.a.com" "$(xlbd_log_tail)"

step "SNI: each host gets its own certificate; the other's does not verify"
answer=$(https_get www.a.com www.a.com)
assert_contains "$answer" "b1 host=www.a.com xff=$CLIENT_IP xfp=https xfport=443" "www.a.com"
answer=$(https_get www.b.com www.b.com)
assert_contains "$answer" "b2 host=www.b.com xff=$CLIENT_IP xfp=https" "www.b.com"
if https_get www.a.com www.b.com >/dev/null 2>&1; then
  fail "www.a.com's handshake verified against www.b.com's certificate"
fi

# served_cn <s_client args...>: the subject CN of the certificate the VIP:443 serves.
served_cn() {
  nsx client openssl s_client -connect "$VIP:443" "$@" </dev/null 2>/dev/null |
    openssl x509 -noout -subject | sed 's/.*CN *= *//'
}
step "no SNI, or an unknown name: the default rule's certificate"
assert_eq default.example "$(served_cn -noservername)" "certificate without SNI"
assert_eq default.example "$(served_cn -servername www.c.com)" "certificate for an unknown name"
assert_eq www.b.com "$(served_cn -servername WWW.B.COM)" "certificate for WWW.B.COM"

step "TLS 1.1 is refused (protocol_version), TLS 1.2 is served"
out=$(nsx client openssl s_client -connect "$VIP:443" -servername www.a.com -tls1_1 \
  -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1 || true)
assert_contains "$out" "alert protocol version" "TLS 1.1 handshake"
answer=$(nsx client curl -sS --max-time 3 --tlsv1.2 --tls-max 1.2 --resolve "www.a.com:443:$VIP" \
  --cacert "$certs/www.a.com.crt" https://www.a.com/)
assert_contains "$answer" "b1 host=www.a.com" "TLS 1.2"

step "a key others may read: refused at create, one line naming the field; nothing changed"
before=$(xlbctl get lb -o json)
chmod 644 "$certs/www.b.com.key"
read -r -a flags <<<"$(tls_flags www.b.com)"
status=0
out=$(xlbctl create lb "$VIP" --tcp=8443:8080 --endpoints="$B2_IP:1" --mode=fullproxy \
  "${flags[@]}" 2>&1) || status=$?
log "$out"
assert_eq 1 "$(wc -l <<<"$out")" "lines of the refusal"
assert_contains "$out" "tls_key $certs/www.b.com.key must be readable by its owner only (mode 0644" \
  "the refusal"
assert_gt 0 "$status" "exit status of the refused create"
assert_eq "$before" "$(xlbctl get lb -o json)" "rules after the refusal"

step "the API answers paths, never a key"
config=$(nsx "$XLB_NS" curl -sS --max-time 3 "http://$XLB_API/api/v1/config")
assert_contains "$config" "\"tls_key\":\"$certs/www.a.com.key\"" "the key's path in the config"
assert_not_contains "$config" "PRIVATE KEY" "key material in the config"

chmod 600 "$certs/www.b.com.key"  # as it was before the refused create

step "e2ehttps: TLS again to nginx, verified against the rule's CA and the endpoint's IP"
flags=(--tls-cert="$certs/default.example.crt" --tls-key="$certs/default.example.key")
xlbctl create lb "$VIP" --tcp=444:8443 --endpoints="$B1_IP:1" --mode=fullproxy --name=e2e \
  --security=e2ehttps --backend-ca="$certs/ca.crt" "${flags[@]}"
xlbctl create lb "$VIP" --tcp=445:8443 --endpoints="$B1_IP:1" --mode=fullproxy --name=wrong-ca \
  --security=e2ehttps --backend-ca="$certs/other-ca.crt" "${flags[@]}"
e2e_get() { nsx client curl -sS -k --max-time 3 "https://$VIP:$1/" 2>&1; }
e2e_answers() { [[ $(e2e_get 444) == *"tls=TLS"* ]]; }
wait_until 10 e2e_answers || fail "no e2ehttps answer" "$(e2e_get 444)" "$(xlbd_log_tail)"
assert_contains "$(e2e_get 444)" "b1 host=$VIP xff=$CLIENT_IP xfp=https xfport=444" "e2ehttps"
status=$(nsx client curl -sk -o /dev/null -w '%{http_code}' --max-time 3 "https://$VIP:445/")
assert_eq 502 "$status" "an endpoint under another CA"
assert_eq 1 "$(l7_metric xlb_l7_tls_handshake_failures_total '' \
  'reason="unable_to_get_local_issuer_certificate",side="backend"')" "failures counted by reason"
assert_gt 0 "$(l7_metric xlb_l7_tls_handshakes_total '' 'side="backend"')" "backend handshakes"
days=$(l7_metric xlb_l7_tls_certificate_expiry_seconds default 'certificate=')
assert_gt 80000 "${days%.*}" "seconds left on the default certificate (1 day)"

step "reload in the middle of an open connection: it goes on; new handshakes, the new certificate"
trigger="$E2E_RUN_DIR/second-request"
bg_run client tls-keepalive python3 "$E2E_TOOLS/tls_keepalive.py" "$VIP" 443 default.example \
  "$trigger"
keepalive_log="$E2E_RUN_DIR/logs/tls-keepalive.log"
first_done() { grep -q "^first 200 b" "$keepalive_log"; }
wait_until 5 first_done || fail "no first answer on the held connection" "$(cat "$keepalive_log")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=renewed.example" -keyout "$certs/renewed.key" -out "$certs/renewed.crt" 2>/dev/null
chmod 600 "$certs/renewed.key"
mv "$certs/renewed.key" "$certs/default.example.key"
mv "$certs/renewed.crt" "$certs/default.example.crt"
assert_contains "$(xlbctl reload certs)" "certificates reloaded" "xlbctl reload certs"
assert_eq renewed.example "$(served_cn -noservername)" "certificate after the reload"
touch "$trigger"
second_done() { grep -q "^second" "$keepalive_log"; }
wait_until 5 second_done || fail "the held connection did not answer" "$(cat "$keepalive_log")"
assert_contains "$(grep "^second" "$keepalive_log")" "second 200 b" "the held connection"

step "a renewed key others may read: refused in one line, the certificate before keeps serving"
chmod 644 "$certs/default.example.key"
status=0
out=$(xlbctl reload certs 2>&1) || status=$?
log "$out"
assert_gt 0 "$status" "exit status of the refused reload"
assert_contains "$out" "tls_key $certs/default.example.key must be readable by its owner only" \
  "the refusal"
assert_eq renewed.example "$(served_cn -noservername)" "certificate after the refused reload"
chmod 600 "$certs/default.example.key"

#!/usr/bin/env bash
# fullproxy with --security=https: two hosts with their own certificates and a default rule on
# one VIP:443. Each client gets its host's certificate by SNI (curl trusts that certificate
# alone, so another one fails), a client without SNI or with an unknown name gets the default,
# the endpoint sees X-Forwarded-Proto https, TLS 1.1 is refused while TLS 1.2 is served, a key
# others may read is refused at create with one line naming the field (and nothing changes),
# and no answer of the API carries a key.
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
# tls_flags <cn>: the create flags of an https rule with that certificate.
tls_flags() { echo "--security=https --tls-cert=$certs/$1.crt --tls-key=$certs/$1.key"; }

step "topology: client | lb | b1, b2 (nginx :8080); VIP:443 default, www.a.com (b1), www.b.com (b2)"
topo_two_arm
start_l7_backend b1 b1 8080
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

#!/usr/bin/env bash
# Installs everything xlb's build, tests and demo need on Debian 12 (idempotent).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake make pkg-config git clang llvm clang-format
  libbpf-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
  # control-plane libraries
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libnl-3-dev libnl-route-3-dev libssl-dev
  # tests
  libgtest-dev libgmock-dev libtins-dev libpcap-dev
  # e2e, demo and benchmarks: real servers and clients
  iproute2 iputils-ping nginx-light curl socat netcat-openbsd tcpdump nftables
  python3 procps psmisc shellcheck
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: all packages present"
fi

# Debian's nginx package starts a system-wide nginx; xlb's tests start their own.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl disable --now nginx >/dev/null 2>&1 || true
fi

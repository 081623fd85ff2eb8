#!/usr/bin/env bash
# Installs everything xlb's build, tests and demo need on Debian 12 (idempotent).
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake make pkg-config git clang llvm clang-format ccache
  libbpf-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
  # llhttp 8.1 C sources, built into xlb-proxy (src/proxy/CMakeLists.txt)
  node-llhttp
  # control-plane libraries
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libnl-3-dev libnl-route-3-dev libssl-dev prometheus-cpp-dev
  # xlbd tells systemd when it is ready (sd_notify)
  libsystemd-dev
  # tests
  libgtest-dev libgmock-dev libtins-dev libpcap-dev
  # e2e, demo and benchmarks: real servers and clients
  iproute2 iputils-ping nginx-light curl socat netcat-openbsd tcpdump nftables openssl
  python3 procps psmisc shellcheck haproxy wrk iperf3 gnuplot-nox
  # offloads on veths: the Mpps benchmark's (TSO off, GRO on), the XDP e2e's peers (GRO on, TX
  # checksum off: tests/e2e/lib/netns.sh veth_peers_for_xdp)
  ethtool
  # the datapath profiler (bench/profile.sh): CPU-clock samples with call chains
  linux-perf
  # metrics: promtool checks the /metrics exposition
  prometheus
  # packaging: make package (CPack runs dpkg-shlibdeps), its checks (lintian, systemd-analyze),
  # scripts/measure-capabilities.sh (strace; setpriv is util-linux's); man-db: the unit's
  # Documentation=man:xlbd(8) must resolve
  dpkg-dev lintian systemd strace man-db
  # HA: keepalived decides which node of a pair is MASTER (contrib/keepalived, e2e ha_*)
  keepalived
  # shared configuration: etcd holds a cluster's rules (docs/cluster-config.md, e2e cluster_config)
  etcd-server etcd-client
  # scale-out: gobgpd (and its gobgp CLI) announces the VIPs; BIRD 2 is the e2e's ECMP router
  gobgpd bird2
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

# Debian's nginx, haproxy, prometheus, keepalived and etcd packages start system-wide services; xlb's
# tests start their own instances.
for unit in nginx haproxy prometheus prometheus-node-exporter keepalived etcd bird gobgpd; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$unit" 2>/dev/null; then
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
done

// Conntrack sync benchmark (docs/benchmarks.md "Conntrack sync"): two nodes in one process, each
// with its own sync engine (CtSync) and the real peer channel (TlsPeerLink, TLS-PSK over TCP),
// over the loopback of a private network namespace; fake datapaths stand in for the BPF maps
// (the datapath's ring buffer is measured by datapath_bench). It measures:
//   - sync lag: node A reports new flows at a steady rate (10,000/s by default); the lag of a
//     flow is the time from its event to its record being written into node B's conntrack;
//   - bytes per synced flow: everything the loopback carried both ways (IP, TCP, TLS, frame and
//     record bytes, acknowledgements, the nodes' state heartbeats), divided by the flows;
//   - the full dump: B connects to A holding --dump flows; the time until B is ready.
// Usage: ct_sync_bench [--rate 10000] [--seconds 5] [--dump 100000]   (root: a network namespace)
#include <arpa/inet.h>
#include <sched.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/ct_sync.h"
#include "cluster/tls_peer_link.h"
#include "datapath/fake/fake_datapath.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using xlb::cluster::CtSync;
using xlb::cluster::TlsPeerLink;

constexpr char kBenchKey[] = "ct-sync-bench-key-0123456789abcdef";

xlb_ip bench_ip(uint32_t host_order) {
  xlb_ip ip{};
  ip.w[0] = htonl(host_order);
  return ip;
}

void add_bench_rule(xlb::FakeDatapath& dp, uint32_t id) {
  xlb_svc_key key{};
  key.vip = bench_ip(0x14141401);  // 20.20.20.1
  key.port = htons(80);
  key.proto = IPPROTO_TCP;
  key.family = XLB_AF_INET;
  xlb_svc svc{};
  svc.id = id;
  svc.mode = XLB_MODE_FULLNAT;
  svc.nr_snat = 1;
  svc.snat[0] = bench_ip(0x0a010201);
  // 32 endpoints: room for a million distinct FullNAT tuples (31,744 ports toward each).
  svc.nr_endpoints = XLB_MAX_ENDPOINTS;
  for (uint32_t i = 0; i < XLB_MAX_ENDPOINTS; ++i) {
    svc.eps[i].addr = bench_ip(0x0a01020a + i);  // 10.1.2.10 on
    svc.eps[i].port = htons(8080);
    svc.eps[i].family = XLB_AF_INET;
  }
  if (!dp.upsert_service(key, svc).ok()) std::abort();
}

// Flow number n: a distinct client address and port.
xlb_ct_key bench_key(uint32_t n) {
  xlb_ct_key key{};
  key.saddr = bench_ip(0x0b000000 + (n >> 14));
  key.daddr = bench_ip(0x14141401);
  key.sport = htons(static_cast<uint16_t>(1024 + (n & 0x3fff)));
  key.dport = htons(80);
  key.proto = IPPROTO_TCP;
  key.family = XLB_AF_INET;
  return key;
}

// A FullNAT flow (the longest record: SNAT address and port too) seen just now.
xlb_ct_entry bench_entry(uint32_t n) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  xlb_ct_entry e{};
  e.dir = XLB_DIR_ORIG;
  e.mode = XLB_MODE_FULLNAT;
  e.state = XLB_CT_EST;
  e.svc_id = 3;
  e.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  constexpr uint32_t kPorts = XLB_SNAT_PORT_MAX - XLB_SNAT_PORT_MIN + 1;
  e.nat_daddr = bench_ip(0x0a01020a + (n / kPorts) % XLB_MAX_ENDPOINTS);
  e.nat_dport = htons(8080);
  e.nat_saddr = bench_ip(0x0a010201);  // the floating SNAT address 10.1.2.1
  e.nat_sport = htons(static_cast<uint16_t>(XLB_SNAT_PORT_MIN + n % kPorts));
  e.last_seen_ns = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
  e.created_ns = e.last_seen_ns;
  return e;
}

// Bytes the loopback received, from /proc/net/dev (which, unlike /sys/class/net, is this
// process's network namespace). On lo every byte sent is received once.
uint64_t loopback_bytes() {
  std::ifstream dev("/proc/net/dev");
  for (std::string line; std::getline(dev, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find("lo") == std::string::npos)
      continue;
    return std::strtoull(line.c_str() + colon + 1, nullptr, 10);
  }
  return 0;
}

struct Node {
  xlb::FakeDatapath dp;
  std::unique_ptr<CtSync> sync;
  std::unique_ptr<TlsPeerLink> link;
};

void start_node(Node& n, uint32_t self, uint16_t port, uint16_t peer_port, uint32_t rule_id) {
  add_bench_rule(n.dp, rule_id);
  n.sync = std::make_unique<CtSync>(n.dp, xlb::cluster::CtSyncOptions{});
  if (!n.sync->start().ok()) std::abort();
  xlb::cluster::ClusterLinkOptions o;
  o.listen_ip = "127.0.0.1";
  o.listen_port = port;
  o.peers = {{"127.0.0.1", peer_port}};
  o.self = self;
  o.software = "ct_sync_bench";
  auto tls = xlb::cluster::ClusterTls::create(kBenchKey);
  n.link = std::make_unique<TlsPeerLink>(
      o, std::shared_ptr<const xlb::cluster::ClusterTls>(std::move(*tls)), n.sync.get());
  if (auto ok = n.link->start(); !ok) {
    std::fprintf(stderr, "ct_sync_bench: %s\n", ok.error().message.c_str());
    std::exit(2);
  }
}

bool wait_ready(const TlsPeerLink& link, std::chrono::seconds within) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline) {
    auto p = link.peers().at(0);
    if (p.connected && p.resync == xlb::cluster::ResyncState::complete) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

uint32_t arg(int argc, char** argv, const char* name, uint32_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return static_cast<uint32_t>(std::atoi(argv[i + 1]));
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t rate = arg(argc, argv, "--rate", 10000);
  const uint32_t seconds = arg(argc, argv, "--seconds", 5);
  const uint32_t dump = arg(argc, argv, "--dump", 100000);
  spdlog::set_level(spdlog::level::err);  // the channel's connect lines are not results
  if (unshare(CLONE_NEWNET) != 0 || std::system("ip link set lo up") != 0) {
    std::fprintf(stderr, "ct_sync_bench: needs root (a private network namespace)\n");
    return 2;
  }
  Node a, b;
  for (uint32_t n = 0; n < dump; ++n) a.dp.add_flow(bench_key(0x800000 + n), bench_entry(n));
  // A dials B and streams; B dials A too (states only: B has no flows).
  start_node(a, 0, 22301, 22302, 3);
  const auto dump_start = Clock::now();
  start_node(b, 1, 22302, 22301, 7);
  if (!wait_ready(*b.link, 120s)) {
    std::fprintf(stderr, "ct_sync_bench: B never completed A's dump\n");
    return 1;
  }
  const double dump_s = std::chrono::duration<double>(Clock::now() - dump_start).count();
  const uint64_t dumped = b.sync->status(0).flows_received;

  // Steady new flows: every millisecond, rate/1000 events.
  const uint32_t total = rate * seconds;
  const uint32_t per_tick = std::max<uint32_t>(1, rate / 1000);
  std::vector<Clock::time_point> pushed(total);
  std::vector<double> lag_ms;
  lag_ms.reserve(total);
  const uint64_t bytes_before = loopback_bytes();
  const uint64_t received_before = b.sync->status(0).flows_received;
  std::thread producer([&] {
    auto next = Clock::now();
    for (uint32_t n = 0; n < total;) {
      std::this_thread::sleep_until(next);
      for (uint32_t k = 0; k < per_tick && n < total; ++k, ++n) {
        pushed[n] = Clock::now();
        a.dp.push_flow_event(
            {xlb::Datapath::FlowEvent::Kind::established, bench_key(n), bench_entry(dump + n)});
      }
      next += 1ms;
    }
  });
  // Records arrive in order on one connection: the n-th written on B is the n-th pushed on A.
  uint64_t seen = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(seconds + 30);
  while (seen < total && Clock::now() < deadline) {
    const uint64_t now_seen = b.sync->status(0).flows_received - received_before;
    const auto now = Clock::now();
    for (; seen < now_seen && seen < total; ++seen) {
      lag_ms.push_back(std::chrono::duration<double, std::milli>(now - pushed[seen]).count());
    }
    std::this_thread::sleep_for(100us);
  }
  producer.join();
  std::this_thread::sleep_for(300ms);  // the last acknowledgements
  const uint64_t bytes = loopback_bytes() - bytes_before;
  const auto st = b.sync->status(0);

  std::printf("conntrack sync (two nodes, TLS-PSK over loopback, fake datapaths)\n");
  std::printf("new flows: %u/s for %u s: %zu of %u synced\n", rate, seconds, lag_ms.size(), total);
  std::printf("sync lag ms: p50 %.2f p99 %.2f max %.2f\n", percentile(lag_ms, 0.5),
              percentile(lag_ms, 0.99), percentile(lag_ms, 1.0));
  std::printf("bytes per synced flow on the wire (both ways, IP+TCP+TLS): %.1f (record: 51)\n",
              static_cast<double>(bytes) / std::max<size_t>(1, lag_ms.size()));
  std::printf("full dump: %llu flows in %.3f s (%.0f flows/s)\n",
              static_cast<unsigned long long>(dumped), dump_s,
              static_cast<double>(dumped) / dump_s);
  std::printf("rejected: %llu\n", static_cast<unsigned long long>(st.rejects.total()));
  a.link->stop();
  b.link->stop();
  a.sync->stop();
  b.sync->stop();
  return lag_ms.size() == total && st.rejects.total() == 0 ? 0 : 1;
}

// datapath_bench: ns/packet of the real xlb_tc program under BPF_PROG_TEST_RUN, beside baseline
// programs built from its own library steps (bpf/bench/parse_only.bpf.c: empty, parse_only,
// parse_route, stateless_nat), all in one run, inside the datapath tests' private network
// namespace (tests/datapath/topology.h). The same cases again on the XDP program (xlb_xdp, rows
// "xdp_<case>"), net of an empty XDP program: what XDP costs for the packets it takes itself.
//
// Two methods, because the kernel runs a repeated test on the same skb without restoring it:
//   repeat    one frame, `--repeat` runs in one call; only for frames the program leaves as they
//             are (parse-only, pass-through).
//   per-call  one run per call, the frame fresh each time (`--repeat` calls); for frames the
//             program rewrites (established flows) or that must differ (a new flow per call).
// The kernel times only the runs, but a per-call figure also holds the timer's own cost once
// per packet; "net" subtracts the empty program's figure of the same method.
//
// Every run's verdict is checked, so a figure never measures the wrong path.
// Output: "dp\t<case>\t<method>\t<gross ns>\t<net ns>" lines, and "sync\t<figure>\t<value>\t<unit>"
// for conntrack sync's sizes (read by bench/lib/report.py).
//   datapath_bench [--repeat 1000000] [--only established|new_flows|connections|sync]
//                  [--jit-lines FILE]
// --jit-lines: every xlb program loaded is added to FILE's JIT line tables (jit_lines.h), for
// bench/profile.sh to attribute perf's samples to source lines.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "datapath/bpf_datapath.h"
#include "flow.h"
#include "jit_lines.h"
#include "parse_only.skel.h"
#include "select/maglev.h"
#include "topology.h"

namespace {

using namespace xlbtest;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "datapath_bench: %s\n", what.c_str());
  std::exit(1);
}

std::FILE* jit_lines_out = nullptr;  // --jit-lines

// Where a frame runs: the program, the interface it arrives on, and cb[0..1] for programs that
// take arguments there (stateless_nat); xdp: an XDP program (no skb, no cb).
struct Target {
  int prog_fd;
  int ifindex;
  uint32_t cb0 = 0, cb1 = 0;
  bool xdp = false;
};

struct Run {
  int action;
  uint32_t duration_ns;  // the kernel's average over the call's runs
};

Run run_frame(const Target& t, const Bytes& frame, uint32_t repeat) {
  __sk_buff ctx{};
  ctx.ifindex = static_cast<__u32>(t.ifindex);
  ctx.cb[0] = t.cb0;
  ctx.cb[1] = t.cb1;
  xdp_md xctx{};
  xctx.data_end = static_cast<__u32>(frame.size());
  xctx.ingress_ifindex = static_cast<__u32>(t.ifindex);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<__u32>(frame.size()),
              .ctx_in = t.xdp ? static_cast<void*>(&xctx) : &ctx,
              .ctx_size_in = static_cast<__u32>(t.xdp ? sizeof xctx : sizeof ctx),
              .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(t.prog_fd, &opts) != 0) die("BPF_PROG_TEST_RUN refused a frame");
  return {static_cast<int>(opts.retval), opts.duration};
}

// ns/packet of one frame run `repeat` times in one call.
double repeated(const Target& t, const Bytes& frame, uint32_t repeat, int want) {
  Run r = run_frame(t, frame, repeat);
  if (r.action != want) die("unexpected verdict " + std::to_string(r.action));
  return r.duration_ns;
}

// ns/packet over `calls` calls of one run each, the n-th call running frame_of(n).
double per_call(const Target& t, const std::function<Bytes(uint32_t)>& frame_of, uint32_t calls,
                int want) {
  double total = 0;
  for (uint32_t n = 0; n < calls; ++n) {
    Run r = run_frame(t, frame_of(n), 1);
    if (r.action != want)
      die("unexpected verdict " + std::to_string(r.action) + " at call " + std::to_string(n));
    total += r.duration_ns;
  }
  return total / calls;
}

// per_call with the same frame every call.
double per_call(const Target& t, const Bytes& frame, uint32_t calls, int want) {
  return per_call(
      t, [&](uint32_t) { return frame; }, calls, want);
}

void print(const char* name, const char* method, double gross, double overhead) {
  std::printf("dp\t%s\t%s\t%.1f\t%.1f\n", name, method, gross, gross - overhead);
  std::fflush(stdout);
}

// The n-th distinct client tuple: 150 client addresses x ports from 1024.
Flow nth_flow(uint32_t n) {
  Flow f;
  f.client = client_host(n % 150);
  f.cport = static_cast<uint16_t>(1024 + n / 150);
  return f;
}

// The hook a figure is measured on: its row prefix, its actions, and its empty program's cost.
struct Hook {
  const char* prefix;  // "" (TC) or "xdp_"
  bool xdp;
  int pass, redirect;  // the hook's actions
  double base_repeat, base_per_call;
  std::string row(const char* name) const { return std::string(prefix) + name; }
  Target on(const xlb::BpfDatapath& dp, int ifindex) const {
    return {xdp ? dp.xdp_program_fd() : dp.program_fd(), ifindex, 0, 0, xdp};
  }
};

std::unique_ptr<xlb::BpfDatapath> open_datapath(uint32_t ct_size, bool xdp = false) {
  xlb::BpfDatapathOptions opts;
  opts.pin_dir = "";
  opts.ct_size = ct_size;
  opts.max_services = 64;
  opts.attach = xdp ? xlb::AttachRequest::xdp : xlb::AttachRequest::tc;
  auto dp = xlb::BpfDatapath::open(opts);
  if (!dp.ok()) die("BpfDatapath::open: " + dp.error().message);
  auto& d = **dp;
  if (!d.register_interface(env().cli_ifindex, kLbCliMac.data()).ok() ||
      !d.register_interface(env().be_ifindex, kLbBeMac.data()).ok())
    die("register_interface failed");
  if (jit_lines_out) {
    for (int fd : {d.program_fd(), xdp ? d.xdp_program_fd() : -1}) {
      if (fd < 0) continue;
      if (std::string err = xlbbench::write_jit_lines(fd, jit_lines_out); !err.empty())
        die("--jit-lines: " + err);
    }
  }
  return std::move(*dp);
}

void install(xlb::BpfDatapath& dp, const Rule& rule, const xlb_svc& svc) {
  if (!dp.upsert_service(svc_key(rule), svc).ok() ||
      !dp.upsert_vip(xip(rule.vip), xlb_vip_info{1, 0}).ok())
    die("installing the rule failed");
}

struct Baseline {
  double repeat = 0, per_call = 0;          // the empty program's ns/packet by each method
  double xdp_repeat = 0, xdp_per_call = 0;  // the empty XDP program's
};

// The baseline programs on a client's ACK to the VIP: empty and parse_only by both methods,
// parse_route (unchanged frame) by both, stateless_nat (rewrites) per call.
Baseline baselines(uint32_t repeat) {
  auto* skel = parse_only__open();
  if (!skel) die("opening parse_only.bpf.o failed");
  // The library's map definitions come along (nat.h includes conntrack.h): none is pinned.
  bpf_map* map;
  bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, nullptr);
  // ct_insert2 adds two entries per call, a new flow each: room for all, so no LRU eviction.
  if (bpf_map__set_max_entries(skel->maps.bench_ct, 2 * repeat + 1024) != 0 ||
      parse_only__load(skel) != 0)
    die("loading parse_only.bpf.o failed");
  const Bytes frame = Flow{}.client_tcp(tcpf::ACK);
  const int cli = env().cli_ifindex;
  const Target empty{bpf_program__fd(skel->progs.empty), cli};
  Baseline b;
  b.repeat = repeated(empty, frame, repeat, TC_ACT_OK);
  b.per_call = per_call(empty, frame, repeat, TC_ACT_OK);
  print("empty", "repeat", b.repeat, b.repeat);
  print("empty", "per-call", b.per_call, b.per_call);
  const Target empty_xdp{bpf_program__fd(skel->progs.empty_xdp), cli, 0, 0, true};
  b.xdp_repeat = repeated(empty_xdp, frame, repeat, XDP_PASS);
  b.xdp_per_call = per_call(empty_xdp, frame, repeat, XDP_PASS);
  print("xdp_empty", "repeat", b.xdp_repeat, b.xdp_repeat);
  print("xdp_empty", "per-call", b.xdp_per_call, b.xdp_per_call);

  const Target parse{bpf_program__fd(skel->progs.parse_only), cli};
  print("parse_only", "repeat", repeated(parse, frame, repeat, TC_ACT_OK), b.repeat);
  print("parse_only", "per-call", per_call(parse, frame, repeat, TC_ACT_OK), b.per_call);

  // The VIP has no route in this namespace: route a frame addressed to the endpoint instead.
  Flow direct;
  direct.rule.vip = kEndpoints[0].ip;
  const Bytes to_endpoint = direct.client_tcp(tcpf::ACK);
  const Target route{bpf_program__fd(skel->progs.parse_route), cli};
  print("parse_route", "repeat", repeated(route, to_endpoint, repeat, TC_ACT_OK), b.repeat);
  print("parse_route", "per-call", per_call(route, to_endpoint, repeat, TC_ACT_OK), b.per_call);

  const Target nat{bpf_program__fd(skel->progs.stateless_nat), cli, ip_be(kEndpoints[0].ip),
                   htons(8080)};
  print("stateless_nat", "per-call", per_call(nat, frame, repeat, TC_ACT_REDIRECT), b.per_call);

  // Conntrack alone: a lookup that misses (as a packet not for the LB pays, per lookup), and
  // the two inserts of a new flow per call.
  const Target miss{bpf_program__fd(skel->progs.ct_miss), cli};
  print("ct_miss", "per-call", per_call(miss, frame, repeat, TC_ACT_OK), b.per_call);
  const Target insert{bpf_program__fd(skel->progs.ct_insert2), cli};
  print(
      "ct_insert2", "per-call",
      per_call(
          insert, [](uint32_t n) { return nth_flow(n).client_tcp(tcpf::SYN); }, repeat, TC_ACT_OK),
      b.per_call);
  parse_only__destroy(skel);
  return b;
}

// Non-VIP pass-through, and both directions of an established NAT flow. On XDP the pass is
// XDP's cost alone (the packet then goes on to TC).
void pass_and_established(const Hook& h, uint32_t repeat) {
  auto dp = open_datapath(65536, h.xdp);
  const auto eps = endpoints(1);
  install(*dp, Rule{}, make_svc(1, XLB_SEL_RR, eps));
  const Target cli = h.on(*dp, env().cli_ifindex), be = h.on(*dp, env().be_ifindex);

  Flow other;
  other.rule.vip = "10.0.9.9";  // routed nowhere, in no rule
  const Bytes pass = other.client_tcp(tcpf::ACK);
  print(h.row("pass_not_vip").c_str(), "repeat", repeated(cli, pass, repeat, h.pass),
        h.base_repeat);
  print(h.row("pass_not_vip").c_str(), "per-call", per_call(cli, pass, repeat, h.pass),
        h.base_per_call);

  Flow f;
  repeated(cli, f.client_tcp(tcpf::SYN), 1, h.redirect);
  repeated(be, f.endpoint_tcp(eps[0], tcpf::SYN | tcpf::ACK), 1, h.redirect);
  const Bytes ack = f.client_tcp(tcpf::ACK);
  const Bytes reply = f.endpoint_tcp(eps[0], tcpf::ACK);
  print(h.row("established_nat").c_str(), "per-call", per_call(cli, ack, repeat, h.redirect),
        h.base_per_call);
  print(h.row("established_nat_reply").c_str(), "per-call", per_call(be, reply, repeat, h.redirect),
        h.base_per_call);
  auto ct = dp->lookup_flow(f.orig_key());
  if (!ct.ok() || !*ct || (*ct)->state != XLB_CT_EST) die("the measured flow is not established");
}

// The same established NAT flow over IPv6 (NAT66): one packet path, 16-byte keys.
void established_v6(const Hook& h, uint32_t repeat) {
  auto dp = open_datapath(65536, h.xdp);
  const std::vector<EpSpec> eps = {{kEndpoints6[0], 8080}};
  Flow f;
  f.client = kClient6;
  f.rule.vip = kVip6;
  install(*dp, f.rule, make_svc(1, XLB_SEL_RR, eps));
  const Target cli = h.on(*dp, env().cli_ifindex), be = h.on(*dp, env().be_ifindex);
  repeated(cli, f.client_tcp(tcpf::SYN), 1, h.redirect);
  repeated(be, f.endpoint_tcp(eps[0], tcpf::SYN | tcpf::ACK), 1, h.redirect);
  const Bytes ack = f.client_tcp(tcpf::ACK);
  print(h.row("established_nat6").c_str(), "per-call", per_call(cli, ack, repeat, h.redirect),
        h.base_per_call);
  auto ct = dp->lookup_flow(f.orig_key());
  if (!ct.ok() || !*ct || (*ct)->state != XLB_CT_EST)
    die("the measured v6 flow is not established");
}

// Established UDP packets spread over `flows` flows, as the Mpps benchmark sends them (one
// client address, the source port varies; round robin over two endpoints): call n sends flow
// n % flows, every flow already in conntrack. With 1 flow its entry, route-cache slot and
// counters stay in the CPU's cache; with 1,024 each packet touches another flow's.
void established_udp_flows(const Hook& h, uint32_t repeat, uint32_t flows) {
  auto dp = open_datapath(65536, h.xdp);
  const auto eps = endpoints(2);
  Rule udp;
  udp.proto = IPPROTO_UDP;
  udp.port = 9000;
  install(*dp, udp, make_svc(1, XLB_SEL_RR, eps));
  const Target cli = h.on(*dp, env().cli_ifindex);
  auto frame_of = [&](uint32_t n) {
    Flow f;
    f.rule = udp;
    f.cport = static_cast<uint16_t>(1024 + n % flows);
    return f.client_udp(Bytes(18, 0));  // a 60-byte frame, as the Mpps sender's
  };
  per_call(cli, frame_of, flows, h.redirect);  // the flows start (untimed)
  const std::string name = "established_udp_" + std::to_string(flows) + "_flows";
  print(h.row(name.c_str()).c_str(), "per-call", per_call(cli, frame_of, repeat, h.redirect),
        h.base_per_call);
  auto counters = dp->datapath_counters();
  if (!counters.ok() || (*counters)[XLB_STAT_FWD_NEW] != flows)
    die(name + ": not every measured packet was an established flow's");
}

// Reply packets (endpoint -> client) of `flows` established NAT flows, TCP ACKs or UDP
// datagrams: call n answers flow n % flows. Every flow's handshake (TCP) or first exchange
// (UDP) is done untimed first, so each measured packet is an established flow's reply, whose
// entries are cold with 1,024 flows as they are under real traffic.
void established_reply_flows(const Hook& h, uint32_t repeat, uint32_t flows, uint8_t proto) {
  auto dp = open_datapath(65536, h.xdp);
  const auto eps = endpoints(1);
  Rule rule;
  rule.proto = proto;
  install(*dp, rule, make_svc(1, XLB_SEL_RR, eps));
  const Target cli = h.on(*dp, env().cli_ifindex), be = h.on(*dp, env().be_ifindex);
  const bool tcp = proto == IPPROTO_TCP;
  auto flow_of = [&](uint32_t n) {
    Flow f;
    f.rule = rule;
    f.cport = static_cast<uint16_t>(1024 + n % flows);
    return f;
  };
  for (uint32_t n = 0; n < flows; ++n) {
    const Flow f = flow_of(n);
    if (tcp) {
      repeated(cli, f.client_tcp(tcpf::SYN), 1, h.redirect);
      repeated(be, f.endpoint_tcp(eps[0], tcpf::SYN | tcpf::ACK), 1, h.redirect);
      repeated(cli, f.client_tcp(tcpf::ACK), 1, h.redirect);
    } else {
      repeated(cli, f.client_udp(Bytes(18, 0)), 1, h.redirect);
      repeated(be, f.endpoint_udp(eps[0], Bytes(18, 0)), 1, h.redirect);
    }
  }
  auto reply_of = [&](uint32_t n) {
    const Flow f = flow_of(n);
    return tcp ? f.endpoint_tcp(eps[0], tcpf::ACK) : f.endpoint_udp(eps[0], Bytes(18, 0));
  };
  std::string name = tcp ? "established_nat_reply_" : "established_udp_reply_";
  name += std::to_string(flows);
  name += "_flows";
  print(h.row(name.c_str()).c_str(), "per-call", per_call(be, reply_of, repeat, h.redirect),
        h.base_per_call);
  for (uint32_t n : {0u, flows - 1}) {
    auto ct = dp->lookup_flow(flow_of(n).orig_key());
    if (!ct.ok() || !*ct || (*ct)->state != (tcp ? XLB_CT_EST : XLB_CT_UDP_EST))
      die(name + ": a measured flow is not established");
  }
  auto counters = dp->datapath_counters();
  if (!counters.ok() || (*counters)[XLB_STAT_FWD_NEW] != flows)
    die(name + ": not every measured packet was an established flow's");
}

// A new flow per call (distinct SYNs), in a fresh datapath per selection algorithm.
void new_flows(const Hook& h, uint32_t flows) {
  const struct {
    const char* name;
    uint8_t select;
  } algorithms[] = {{"new_flow_rr", XLB_SEL_RR},     {"new_flow_priority", XLB_SEL_PRIORITY},
                    {"new_flow_hash", XLB_SEL_HASH}, {"new_flow_maglev", XLB_SEL_MAGLEV},
                    {"new_flow_lc", XLB_SEL_LC},     {"new_flow_persist", XLB_SEL_PERSIST}};
  constexpr uint32_t kMaglevSize = 16381;
  const auto eps = endpoints(4);
  for (const auto& algo : algorithms) {
    // Two entries per flow, and room to spare: the figure must not include LRU eviction.
    auto dp = open_datapath(flows * 2 + flows / 2 + 1024, h.xdp);
    xlb_svc svc = make_svc(1, algo.select, eps);
    if (algo.select == XLB_SEL_MAGLEV) svc.maglev_size = kMaglevSize;
    if (algo.select == XLB_SEL_PERSIST) svc.persist_timeout_s = 300;
    install(*dp, Rule{}, svc);
    if (algo.select == XLB_SEL_MAGLEV) {
      std::vector<xlb::select::MaglevBackend> backends;
      for (uint32_t i = 0; i < eps.size(); ++i)
        backends.push_back({i, std::string(eps[i].host.ip) + ":8080", eps[i].weight});
      // make_svc leaves maglev_gen at 0: the rule reads table 0.
      if (!dp->set_maglev_table(1, 0, xlb::select::build_maglev(backends, kMaglevSize)).ok())
        die("set_maglev_table failed");
    }
    const Target cli = h.on(*dp, env().cli_ifindex);
    const double ns = per_call(
        cli, [](uint32_t n) { return nth_flow(n).client_tcp(tcpf::SYN); }, flows, h.redirect);
    print(h.row(algo.name).c_str(), "per-call", ns, h.base_per_call);
  }
}

// One whole short NAT TCP connection, as wrk's new-connection run makes them: the handshake, a
// request and its response, and the close (the endpoint's FIN first, as nginx closes after
// answering `Connection: close`). Each step is one frame through the LB, on the interface it
// arrives on.
struct ConnStep {
  const char* name;
  bool from_client;
  Seg seg;
};

const std::vector<ConnStep>& nat_connection_steps() {
  // Sequence numbers as the segments would carry them: client ISN 1000, endpoint ISN 5000.
  static const Bytes request(80, 'q'), response(240, 'r');
  static const std::vector<ConnStep> steps = {
      {"syn", true, {tcpf::SYN, 1000, 0}},
      {"synack", false, {tcpf::SYN | tcpf::ACK, 5000, 1001}},
      {"ack", true, {tcpf::ACK, 1001, 5001}},
      {"request", true, {tcpf::PSH | tcpf::ACK, 1001, 5001, request}},
      {"response", false, {tcpf::PSH | tcpf::ACK, 5001, 1081, response}},
      {"ep_fin", false, {tcpf::FIN | tcpf::ACK, 5241, 1081}},
      {"cli_ack", true, {tcpf::ACK, 1081, 5242}},
      {"cli_fin", true, {tcpf::FIN | tcpf::ACK, 1081, 5242}},
      {"ep_ack", false, {tcpf::ACK, 5242, 1082}},
  };
  return steps;
}

// The n-th connection's client tuple: one client address (whose neighbour the LB knows, so XDP
// forwards the SYN+ACK itself), the port varies.
Flow nth_conn(uint32_t n) {
  Flow f;
  f.cport = static_cast<uint16_t>(1024 + n);
  return f;
}

// ns per connection of `conns` (at most 64,000) whole NAT connections, each on its own client tuple
// (round "conn_nat"), then again on the same tuples once they are finished (round "conn_nat_reuse":
// a new SYN on a finished flow's tuple, as wrk reuses its ephemeral ports within a second). Rows:
// each round per connection (net of the empty program once per packet), and each step's
// ns/packet. Every verdict is checked, and the first and last flows must end in TIME_WAIT.
void nat_connections(const Hook& h, uint32_t conns) {
  // Two entries per flow and room to spare: no LRU eviction in the figure.
  auto dp = open_datapath(conns * 2 + conns / 2 + 1024, h.xdp);
  const auto eps = endpoints(1);
  install(*dp, Rule{}, make_svc(1, XLB_SEL_RR, eps));
  const Target cli = h.on(*dp, env().cli_ifindex), be = h.on(*dp, env().be_ifindex);
  const auto& steps = nat_connection_steps();
  for (const char* round : {"conn_nat", "conn_nat_reuse"}) {
    std::vector<double> step_ns(steps.size(), 0);
    double total = 0;
    for (uint32_t n = 0; n < conns; ++n) {
      const Flow f = nth_conn(n);
      for (size_t i = 0; i < steps.size(); ++i) {
        const ConnStep& s = steps[i];
        const Run r =
            run_frame(s.from_client ? cli : be,
                      s.from_client ? f.client_seg(s.seg) : f.endpoint_seg(eps[0], s.seg), 1);
        if (r.action != h.redirect)
          die(std::string(round) + ": unexpected verdict " + std::to_string(r.action) + " at " +
              s.name + " of connection " + std::to_string(n));
        step_ns[i] += r.duration_ns;
        total += r.duration_ns;
      }
    }
    print(h.row(round).c_str(), "per-conn", total / conns, h.base_per_call * steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      const std::string row = h.row(round) + "." + steps[i].name;
      print(row.c_str(), "per-call", step_ns[i] / conns, h.base_per_call);
    }
    for (uint32_t n : {0u, conns - 1}) {
      auto ct = dp->lookup_flow(nth_conn(n).orig_key());
      if (!ct.ok() || !*ct || (*ct)->state != XLB_CT_TIME_WAIT)
        die(std::string(round) + ": a measured connection did not end in TIME_WAIT");
    }
  }
}

// Conntrack sync's cost (docs/ha.md): the same established packet, and new UDP flows, with flow
// events off and on, alternated in rounds within one datapath so drift hits both alike; the ring
// is drained between rounds (untimed), as xlbd drains it. Also what a synced flow occupies.
void sync_on_off(const Baseline& b, uint32_t repeat) {
  constexpr uint32_t kRounds = 10;
  // New flows per round: fewer than the ring holds, so none is lost while a round runs.
  constexpr uint32_t kNewPerRound = 20000;
  const uint32_t per_round = repeat / kRounds;
  auto dp = open_datapath(2 * 2 * kRounds * kNewPerRound + 65536);
  const auto eps = endpoints(1);
  install(*dp, Rule{}, make_svc(1, XLB_SEL_RR, eps));
  Rule udp;
  udp.proto = IPPROTO_UDP;
  install(*dp, udp, make_svc(2, XLB_SEL_RR, eps));
  const Target cli{dp->program_fd(), env().cli_ifindex};
  auto drain = [&] {
    if (!dp->poll_flow_events(0, [](const xlb::Datapath::FlowEvent&) {}).ok())
      die("poll_flow_events failed");
  };
  auto events = [&](bool on) {
    if (!dp->set_flow_events(on).ok()) die("set_flow_events failed");
  };

  Flow f;
  repeated(cli, f.client_tcp(tcpf::SYN), 1, TC_ACT_REDIRECT);
  repeated({dp->program_fd(), env().be_ifindex}, f.endpoint_tcp(eps[0], tcpf::SYN | tcpf::ACK), 1,
           TC_ACT_REDIRECT);
  repeated(cli, f.client_tcp(tcpf::ACK), 1, TC_ACT_REDIRECT);
  const Bytes ack = f.client_tcp(tcpf::ACK);
  double est[2] = {0, 0}, fresh[2] = {0, 0};
  uint32_t next_flow = 0;
  for (uint32_t r = 0; r < 2 * kRounds; ++r) {
    const bool on = r % 2;
    events(on);
    est[on] += per_call(cli, ack, per_round, TC_ACT_REDIRECT) / kRounds;
    const uint32_t first = next_flow;
    fresh[on] += per_call(
                     cli,
                     [&](uint32_t n) {
                       Flow u = nth_flow(first + n);
                       u.rule.proto = IPPROTO_UDP;
                       return u.client_udp(Bytes(16, 0));
                     },
                     kNewPerRound, TC_ACT_REDIRECT) /
                 kRounds;
    next_flow += kNewPerRound;
    drain();
  }
  auto ct = dp->lookup_flow(f.orig_key());
  if (!ct.ok() || !*ct || (*ct)->state != XLB_CT_EST) die("the measured flow is not established");
  auto lost = dp->datapath_counters();
  if (!lost.ok() || (*lost)[XLB_STAT_FLOW_EVENTS_LOST] != 0)
    die("flow events were lost: the new-flow figure would not include them all");
  print("established_nat_sync_off", "per-call", est[0], b.per_call);
  print("established_nat_sync_on", "per-call", est[1], b.per_call);
  print("new_flow_udp_sync_off", "per-call", fresh[0], b.per_call);
  print("new_flow_udp_sync_on", "per-call", fresh[1], b.per_call);

  // What a synced flow costs in the datapath: two ring records (established, closed) and, on
  // the receiving node, two conntrack entries (NAT, FullNAT; DSR one). Key and value bytes,
  // without the hash map's own per-element overhead.
  constexpr unsigned kRecord = sizeof(xlb_flow_event) + 8;  // the ring's 8-byte header
  std::printf("sync\tring_bytes_per_event\t%u\tbytes\n", kRecord);
  std::printf("sync\tring_bytes_per_synced_flow\t%u\tbytes (established + closed)\n", 2 * kRecord);
  std::printf("sync\tring_capacity\t%u\tevents (%u MiB)\n", XLB_FLOW_EVENTS_RING_BYTES / kRecord,
              XLB_FLOW_EVENTS_RING_BYTES >> 20);
  std::printf("sync\tct_bytes_per_synced_flow\t%zu\tbytes (2 entries: key + value)\n",
              2 * (sizeof(xlb_ct_key) + sizeof(xlb_ct_entry)));
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(dp->program_fd(), &info, &len) == 0)
    std::printf("sync\tverified_insns\t%u\tinstructions (xlb_ingress, whole program)\n",
                info.verified_insns);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t repeat = 1000000;
  std::string only;  // empty: every part
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = static_cast<uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--jit-lines" && i + 1 < argc) {
      jit_lines_out = std::fopen(argv[++i], "w");
      if (!jit_lines_out) die(std::string("--jit-lines: cannot write ") + argv[i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--repeat N] [--only established|new_flows|connections|sync]\n"
                   "          [--jit-lines FILE]\n"
                   "  N >= 1000, default 1000000; --only: that part alone, after the baselines;\n"
                   "  --jit-lines: the loaded programs' JIT line tables into FILE "
                   "(bench/profile.sh)\n",
                   argv[0]);
      return 2;
    }
  }
  if (!only.empty() && only != "established" && only != "new_flows" && only != "connections" &&
      only != "sync")
    die("--only must be established, new_flows, connections or sync, got " + only);
  auto part = [&](const char* name) { return only.empty() || only == name; };
  if (repeat < 1000) die("--repeat must be at least 1000, got " + std::to_string(repeat));
  setup_namespace();
  if (!env().skip_reason.empty()) die(env().skip_reason);
  if (!env().ready) die(env().error);
  std::printf("# datapath_bench: %u runs per figure; ns/packet, net = gross - empty program\n",
              repeat);
  const Baseline b = baselines(repeat);
  const Hook tc{"", false, TC_ACT_OK, TC_ACT_REDIRECT, b.repeat, b.per_call};
  const Hook xdp{"xdp_", true, XDP_PASS, XDP_REDIRECT, b.xdp_repeat, b.xdp_per_call};
  for (const Hook* h : {&tc, &xdp}) {
    if (part("established")) {
      pass_and_established(*h, repeat);
      established_v6(*h, repeat);
      established_udp_flows(*h, repeat, 1);
      established_udp_flows(*h, repeat, 1024);
      established_reply_flows(*h, repeat, 1024, IPPROTO_TCP);
      established_reply_flows(*h, repeat, 1024, IPPROTO_UDP);
    }
    if (part("new_flows")) new_flows(*h, repeat);
    if (part("connections")) nat_connections(*h, std::min(repeat / 10, 64000u));
  }
  if (part("sync")) sync_on_off(b, repeat);
  return 0;
}

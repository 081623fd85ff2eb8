#include "fixture.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace xlbtest {

namespace {
const char* action_name(int a) {
  switch (a) {
    case TC_ACT_OK:
      return "TC_ACT_OK";
    case TC_ACT_SHOT:
      return "TC_ACT_SHOT";
    case TC_ACT_REDIRECT:
      return "TC_ACT_REDIRECT";
    default:
      return "other";
  }
}
::testing::AssertionResult ActionIs(const Verdict& v, int want) {
  if (v.action == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "verdict " << v.action << " (" << action_name(v.action) << "), expected " << want
         << " (" << action_name(want) << ")";
}
}  // namespace

::testing::AssertionResult Forwarded(const Verdict& v, const Bytes& expected) {
  if (auto r = ActionIs(v, TC_ACT_REDIRECT); !r) return r;
  if (auto r = FramesEqual(expected, v.frame); !r) return r;
  return ChecksumsValid(v.frame);
}

::testing::AssertionResult PassedUntouched(const Verdict& v, const Bytes& in) {
  if (auto r = ActionIs(v, TC_ACT_OK); !r) return r;
  return FramesEqual(in, v.frame);
}

::testing::AssertionResult Passed(const Verdict& v, const Bytes& expected) {
  if (auto r = ActionIs(v, TC_ACT_OK); !r) return r;
  if (auto r = FramesEqual(expected, v.frame); !r) return r;
  return ChecksumsValid(v.frame);
}

::testing::AssertionResult Dropped(const Verdict& v) { return ActionIs(v, TC_ACT_SHOT); }

::testing::AssertionResult StatsMoved(const std::vector<uint64_t>& before,
                                      const std::vector<uint64_t>& after,
                                      const std::map<int, uint64_t>& moved) {
  if (before.size() != XLB_STAT_MAX || after.size() != XLB_STAT_MAX)
    return ::testing::AssertionFailure() << "datapath_counters() returned " << after.size()
                                         << " counters, expected " << XLB_STAT_MAX;
  auto failure = ::testing::AssertionFailure() << "verdict counters:";
  bool ok = true;
  for (int i = 0; i < XLB_STAT_MAX; ++i) {
    auto it = moved.find(i);
    uint64_t want = it == moved.end() ? 0 : it->second;
    if (after[i] - before[i] != want) {
      failure << "\n  counter " << i << " moved by " << after[i] - before[i] << ", expected "
              << want;
      ok = false;
    }
  }
  return ok ? ::testing::AssertionSuccess() : failure;
}

::testing::AssertionResult FlowTracked(const xlb::Datapath& dp, const Flow& flow, const EpSpec& ep,
                                       uint32_t svc_id, uint16_t ep_idx, uint8_t state) {
  auto orig = dp.lookup_flow(flow.orig_key());
  auto reply = dp.lookup_flow(flow.reply_key(ep));
  if (!orig.ok() || !reply.ok())
    return ::testing::AssertionFailure()
           << "lookup_flow failed: " << (orig.ok() ? reply.error() : orig.error()).message;
  if (!*orig) return ::testing::AssertionFailure() << "no orig CT entry (client -> VIP)";
  if (!*reply)
    return ::testing::AssertionFailure()
           << "no reply CT entry (" << ep.host.ip << ":" << ep.port << " -> client)";
  const xlb_ct_entry& o = **orig;
  const xlb_ct_entry& r = **reply;
  auto failure = ::testing::AssertionFailure();
  bool ok = true;
  auto check = [&](bool cond, const char* what) {
    if (!cond) {
      failure << "\n  " << what;
      ok = false;
    }
  };
  const bool full = flow.snat.has_value();
  const uint8_t both = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
  auto same = [](const xlb_ip& a, const char* text) {
    xlb_ip b = xip(text);
    return std::equal(a.w, a.w + 4, b.w);
  };
  check(same(o.nat_daddr, ep.host.ip), "orig.nat_daddr != endpoint");
  check(o.nat_dport == htons(ep.port), "orig.nat_dport != endpoint port");
  if (full) {
    check(same(o.nat_saddr, flow.peer_ip()), "orig.nat_saddr != SNAT address");
    check(o.nat_sport == htons(flow.peer_port()), "orig.nat_sport != SNAT port");
  }
  check(o.dir == XLB_DIR_ORIG, "orig.dir != ORIG");
  check((o.flags & both) == (full ? both : XLB_CT_F_DNAT),
        full ? "orig.flags != DNAT|SNAT" : "orig.flags != DNAT");
  check(o.mode == (full ? XLB_MODE_FULLNAT : XLB_MODE_NAT),
        full ? "orig.mode != FULLNAT" : "orig.mode != NAT");
  check(o.svc_id == svc_id, "orig.svc_id");
  check(o.ep_idx == ep_idx, "orig.ep_idx");
  if (o.state != state) {
    failure << "\n  orig.state " << int{o.state} << ", expected " << int{state};
    ok = false;
  }
  check(same(r.nat_saddr, flow.rule.vip), "reply.nat_saddr != VIP");
  check(r.nat_sport == htons(flow.rule.port), "reply.nat_sport != VIP port");
  if (full) {
    check(same(r.nat_daddr, flow.client.ip), "reply.nat_daddr != client");
    check(r.nat_dport == htons(flow.cport), "reply.nat_dport != client port");
  }
  check(r.dir == XLB_DIR_REPLY, "reply.dir != REPLY");
  check((r.flags & both) == (full ? both : XLB_CT_F_SNAT),
        full ? "reply.flags != DNAT|SNAT" : "reply.flags != SNAT");
  check(r.svc_id == svc_id, "reply.svc_id");
  check(r.ep_idx == ep_idx, "reply.ep_idx");
  return ok ? ::testing::AssertionSuccess() : failure;
}

void DatapathTest::SetUp() {
  XLB_REQUIRE_ENV();
  ASSERT_TRUE(fresh_bpffs_ = mount_bpffs(kDefaultBpffs)) << "mount bpffs on " << kDefaultBpffs;
  open_datapath(65536, 0);
}

void DatapathTest::open_datapath(uint32_t ct_size, uint32_t ct_syn_size) {
  for (auto& [name, fd] : map_fds_) close(fd);
  map_fds_.clear();
  return_datapath(std::move(dp_));
  DatapathShape shape;
  shape.ct_size = ct_size;
  shape.ct_syn_size = ct_syn_size;
  if (hook() == TestHook::xdp) shape.attach = xlb::AttachRequest::xdp;
  std::string error;
  dp_ = borrow_datapath(shape, error);
  ASSERT_EQ(error, "");
}

void DatapathTest::TearDown() {
  for (auto& [name, fd] : map_fds_) close(fd);
  map_fds_.clear();
  return_datapath(std::move(dp_));
  if (fresh_bpffs_) umount2(kDefaultBpffs, 0);
  // Reported once, by the test that changed it (the next ones compare with the change).
  static std::string expected = env().fingerprint;
  if (env().ready) {
    std::string now = namespace_fingerprint();
    EXPECT_EQ(now, expected)
        << "the test left the namespace's routes or neighbours changed: restore them";
    expected = now;
  }
}

void DatapathTest::install(const Rule& rule, const xlb_svc& svc) {
  auto r = dp_->upsert_service(svc_key(rule), svc);
  ASSERT_TRUE(r.ok()) << "upsert_service: " << r.error().message;
  auto v = dp_->upsert_vip(xip(rule.vip), xlb_vip_info{1, 0});
  ASSERT_TRUE(v.ok()) << "upsert_vip: " << v.error().message;
}

Verdict test_run(int prog_fd, const Bytes& frame, int ifindex, uint32_t gso_size) {
  Verdict v;
  v.frame.resize(frame.size() + 1024);
  __sk_buff ctx{};
  ctx.ifindex = static_cast<__u32>(ifindex);
  ctx.gso_size = gso_size;
  ctx.gso_segs = gso_size ? 2 : 0;
  __sk_buff ctx_out{};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = v.frame.data(),
              .data_size_in = static_cast<__u32>(frame.size()),
              .data_size_out = static_cast<__u32>(v.frame.size()), .ctx_in = &ctx,
              .ctx_out = &ctx_out, .ctx_size_in = sizeof ctx, .ctx_size_out = sizeof ctx_out,
              .repeat = 1);
  v.err = bpf_prog_test_run_opts(prog_fd, &opts);
  v.mark = ctx_out.mark;
  v.action = v.err ? -1 : static_cast<int>(opts.retval);
  v.frame.resize(v.err ? 0 : opts.data_size_out);
  return v;
}

TestHook test_hook() {
  static const TestHook hook = [] {
    const char* env = std::getenv("XLB_DP_HOOK");
    return env && std::string_view(env) == "xdp" ? TestHook::xdp : TestHook::tc;
  }();
  return hook;
}

Verdict test_run_xdp(int prog_fd, const Bytes& frame, int ifindex) {
  Verdict v;
  v.frame.resize(frame.size() + 1024);
  xdp_md ctx{};
  ctx.data_end = static_cast<__u32>(frame.size());
  ctx.ingress_ifindex = static_cast<__u32>(ifindex);
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = v.frame.data(),
              .data_size_in = static_cast<__u32>(frame.size()),
              .data_size_out = static_cast<__u32>(v.frame.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof ctx, .repeat = 1);
  v.err = bpf_prog_test_run_opts(prog_fd, &opts);
  v.action = v.err ? -1 : static_cast<int>(opts.retval);
  v.frame.resize(v.err ? 0 : opts.data_size_out);
  return v;
}

namespace {
// The largest frame a test run hands an XDP program without fragments (a page less the
// headroom and the shared info): native XDP never sees a larger one either.
constexpr size_t kXdpTestFrameMax = 3000;
}  // namespace

Verdict DatapathTest::try_run(const Bytes& frame, int ifindex) {
  last_xdp_action_ = -1;
  if (hook() == TestHook::tc || frame.size() > kXdpTestFrameMax)
    return test_run(dp_->program_fd(), frame, ifindex);
  Verdict x = test_run_xdp(dp_->xdp_program_fd(), frame, ifindex);
  if (x.err) return x;
  last_xdp_action_ = x.action;
  switch (x.action) {
    case XDP_PASS:
      // Passed means untouched: TC decides on the frame as it arrived.
      EXPECT_TRUE(FramesEqual(frame, x.frame)) << "XDP passed a frame it had changed";
      return test_run(dp_->program_fd(), x.frame, ifindex);
    case XDP_TX:
    case XDP_REDIRECT:
      x.action = TC_ACT_REDIRECT;  // sent, as TC's redirect would
      return x;
    case XDP_DROP:
      x.action = TC_ACT_SHOT;
      return x;
    default:
      ADD_FAILURE() << "XDP returned action " << x.action;
      return x;
  }
}

::testing::AssertionResult DatapathTest::XdpTook(int xdp_action) const {
  if (hook() == TestHook::tc || last_xdp_action_ == xdp_action)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "XDP took action " << last_xdp_action_ << ", expected "
                                       << xdp_action << " (1 drop, 2 pass, 3 tx, 4 redirect)";
}

// XDP never sees a GSO packet (GRO builds them after it): TC alone.
Verdict DatapathTest::run_gso(const Bytes& frame, int ifindex, uint32_t gso_size) {
  last_xdp_action_ = -1;
  Verdict v = test_run(dp_->program_fd(), frame, ifindex, gso_size);
  EXPECT_EQ(v.err, 0) << "bpf_prog_test_run_opts refused a GSO frame of " << frame.size()
                      << " bytes";
  return v;
}

Verdict DatapathTest::run(const Bytes& frame, int ifindex) {
  Verdict v = try_run(frame, ifindex);
  EXPECT_EQ(v.err, 0) << "bpf_prog_test_run_opts refused a frame of " << frame.size() << " bytes";
  return v;
}

std::optional<xlb_ct_entry> DatapathTest::ct(const xlb_ct_key& key) {
  auto r = dp_->lookup_flow(key);
  EXPECT_TRUE(r.ok()) << "lookup_flow: " << r.error().message;
  return r.ok() ? *r : std::nullopt;
}

std::vector<xlb::CtFlow> DatapathTest::flows() {
  std::vector<xlb::CtFlow> out;
  auto r = dp_->for_each_flow([&](const xlb::CtFlow& f) {
    out.push_back(f);
    return true;
  });
  EXPECT_TRUE(r.ok()) << "for_each_flow: " << r.error().message;
  return out;
}

std::vector<uint64_t> DatapathTest::stats() {
  auto r = dp_->datapath_counters();
  EXPECT_TRUE(r.ok()) << "datapath_counters: " << r.error().message;
  return r.ok() ? *r : std::vector<uint64_t>{};
}

xlb_counter DatapathTest::svc_counter(uint32_t id) {
  auto r = dp_->service_counter(id);
  EXPECT_TRUE(r.ok()) << "service_counter: " << r.error().message;
  return r.ok() ? *r : xlb_counter{};
}

xlb_counter DatapathTest::ep_counter(uint32_t id, uint32_t idx) {
  auto r = dp_->endpoint_counter(id, idx);
  EXPECT_TRUE(r.ok()) << "endpoint_counter: " << r.error().message;
  return r.ok() ? *r : xlb_counter{};
}

xlb_dsr_counter DatapathTest::dsr_counter(uint32_t id, uint32_t idx) {
  auto r = dp_->dsr_counter(id, idx);
  EXPECT_TRUE(r.ok()) << "dsr_counter: " << r.error().message;
  return r.ok() ? *r : xlb_dsr_counter{};
}

uint32_t DatapathTest::active(uint32_t id, uint32_t idx) {
  auto r = dp_->active_flows(id, idx);
  EXPECT_TRUE(r.ok()) << "active_flows: " << r.error().message;
  return r.ok() ? *r : 0;
}

std::vector<xlb::Datapath::FlowEvent> DatapathTest::flow_events() {
  std::vector<xlb::Datapath::FlowEvent> out;
  auto r = dp_->poll_flow_events(0, [&](const xlb::Datapath::FlowEvent& ev) { out.push_back(ev); });
  EXPECT_TRUE(r.ok()) << "poll_flow_events: " << r.error().message;
  if (r.ok()) {
    EXPECT_EQ(*r, out.size()) << "poll_flow_events' count";
  }
  return out;
}

int DatapathTest::open_flow(const Flow& f, const std::vector<EpSpec>& eps) {
  Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  int idx = endpoint_of(v, eps);
  if (idx < 0) {
    ADD_FAILURE() << "SYN from " << f.client.ip << ":" << f.cport
                  << " not DNATed to an endpoint, verdict " << v.action;
    return -1;
  }
  EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, eps[idx])));
  return idx;
}

void DatapathTest::forget_flow(const Flow& f, const EpSpec& ep) {
  ASSERT_TRUE(dp_->delete_flow(f.orig_key()).ok());
  ASSERT_TRUE(dp_->delete_flow(f.reply_key(ep)).ok());
}

int open_program_map(int prog_fd, const char* name) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  std::vector<uint32_t> ids(64);
  info.nr_map_ids = static_cast<uint32_t>(ids.size());
  info.map_ids = reinterpret_cast<uint64_t>(ids.data());
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return -1;
  for (uint32_t i = 0; i < info.nr_map_ids && i < ids.size(); ++i) {
    int fd = bpf_map_get_fd_by_id(ids[i]);
    bpf_map_info minfo{};
    uint32_t mlen = sizeof minfo;
    if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &minfo, &mlen) == 0 &&
        std::string(minfo.name) == name) {
      return fd;
    }
    if (fd >= 0) close(fd);
  }
  return -1;
}

int DatapathTest::map_fd(const char* name) {
  if (auto it = map_fds_.find(name); it != map_fds_.end()) return it->second;
  int fd = open_program_map(dp_->program_fd(), name);
  if (fd < 0) {
    ADD_FAILURE() << "the datapath program uses no map named " << name;
    return -1;
  }
  map_fds_[name] = fd;
  return fd;
}

std::optional<xlb_persist_entry> DatapathTest::persist(uint32_t svc_id, const char* client) {
  xlb_persist_key key{};
  key.svc_id = svc_id;
  key.client = xip(client);
  xlb_persist_entry e{};
  if (bpf_map_lookup_elem(map_fd(XLB_MAP_PERSIST), &key, &e) != 0) return std::nullopt;
  return e;
}

void DatapathTest::put_ct(const xlb_ct_key& key, const xlb_ct_entry& entry) {
  ASSERT_EQ(bpf_map_update_elem(map_fd(XLB_MAP_CT), &key, &entry, BPF_ANY), 0)
      << "update " XLB_MAP_CT;
}

int DatapathTest::endpoint_of(const Verdict& v, const std::vector<EpSpec>& eps) {
  auto l = ip_layout(v.frame);
  if (v.action != TC_ACT_REDIRECT || !l) return -1;
  size_t off = l->l3 + (l->v6 ? 24 : 16), len = l->v6 ? 16 : 4;
  Bytes daddr(v.frame.begin() + static_cast<long>(off),
              v.frame.begin() + static_cast<long>(off + len));
  uint16_t dport = static_cast<uint16_t>(v.frame[l->l4 + 2] << 8 | v.frame[l->l4 + 3]);
  for (size_t i = 0; i < eps.size(); ++i)
    if (ip_bytes(eps[i].host.ip) == daddr && eps[i].port == dport) return static_cast<int>(i);
  return -1;
}

std::optional<Snat> DatapathTest::source_of(const Verdict& v) {
  auto l = ip_layout(v.frame);
  if (v.action != TC_ACT_REDIRECT || !l) return std::nullopt;
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(l->v6 ? AF_INET6 : AF_INET, &v.frame[l->l3 + (l->v6 ? 8 : 12)], ip, sizeof ip);
  return Snat{ip, static_cast<uint16_t>(v.frame[l->l4] << 8 | v.frame[l->l4 + 1])};
}

}  // namespace xlbtest

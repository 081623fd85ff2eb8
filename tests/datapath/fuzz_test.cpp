// Datapath fuzz test: ≥ 1M random and mutated frames through BPF_PROG_TEST_RUN against NAT,
// FullNAT and DSR rules (fuzz_gen.h), checked against an independent reading of each frame
// (fuzz_oracle.h). Invariants:
//   - a frame comes out changed (and not dropped) only when it is fully valid traffic for xlb:
//     TCP/UDP to a rule or of a tracked flow, an ICMP/ICMPv6 error quoting a tracked flow, an
//     echo request to a VIP, an ARP request or a Neighbor Solicitation for a VIP;
//   - a changed frame's checksums verify (RFC 1071, tests/datapath/checksum.h) when the input's
//     did, and a bad L4 checksum is carried, never repaired (it is end to end);
//   - conntrack gains entries only for valid new flows to a rule;
//   - exactly one verdict counter moves, by one, per frame the program ran (none for a frame the
//     kernel refused to run), and it is one of the verdict's own kind: drop_* for a dropped
//     frame, pass_* for one handed to the kernel, fwd_* or a reply for one sent on.
// XLB_FUZZ_SEED and XLB_FUZZ_FRAMES override the seed and frame count (tests/fuzz/README.md
// gives the long run).
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include "fixture.h"
#include "fuzz_gen.h"
#include "fuzz_oracle.h"
#include "select/maglev.h"

namespace xlbtest {
namespace {

using fuzz::Frame;
using fuzz::OpenFlow;
using fuzz::Reading;

constexpr uint64_t kDefaultSeed = 0x786c62;  // "xlb"
constexpr uint64_t kDefaultFrames = 1'000'000;
constexpr size_t kBatch = 20'000;
constexpr size_t kMaxOpenFlows = 256;
constexpr size_t kMaxReported = 10;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 0) : fallback;
}

struct FuzzRuleSpec {
  fuzz::FuzzRule rule;
  uint8_t mode;
};

// One rule of each mode, TCP and UDP, on two VIPs of each family; NAT64 (IPv6 VIPs, IPv4
// endpoints) in TCP and UDP.
const std::vector<FuzzRuleSpec> kRules = {
    {{kVip, 80, IPPROTO_TCP}, XLB_MODE_NAT},       {{kVip, 81, IPPROTO_TCP}, XLB_MODE_FULLNAT},
    {{kVip, 82, IPPROTO_TCP}, XLB_MODE_DSR},       {{kVip, 83, IPPROTO_TCP}, XLB_MODE_DSR},
    {{kVip, 53, IPPROTO_UDP}, XLB_MODE_NAT},       {{kVip2, 54, IPPROTO_UDP}, XLB_MODE_FULLNAT},
    {{kVip2, 80, IPPROTO_TCP}, XLB_MODE_NAT},      {{kVip6, 80, IPPROTO_TCP}, XLB_MODE_NAT},
    {{kVip6, 81, IPPROTO_TCP}, XLB_MODE_FULLNAT},  {{kVip6, 82, IPPROTO_TCP}, XLB_MODE_DSR},
    {{kVip6, 83, IPPROTO_TCP}, XLB_MODE_DSR},      {{kVip6, 53, IPPROTO_UDP}, XLB_MODE_NAT},
    {{kVip6b, 54, IPPROTO_UDP}, XLB_MODE_FULLNAT}, {{kVip6, 84, IPPROTO_TCP}, XLB_MODE_FULLNAT},
    {{kVip6b, 55, IPPROTO_UDP}, XLB_MODE_FULLNAT},
};

std::string hex(const Bytes& f) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : f) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

bool is_v6_frame(const Bytes& f) {
  auto l = ip_layout(f);
  return l && l->v6;
}

std::string key_bytes(const xlb_ct_key& k) {
  return std::string(reinterpret_cast<const char*>(&k), sizeof k);
}

std::string describe_key(const xlb_ct_key& k) {
  char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
  const int af = k.family == XLB_AF_INET6 ? AF_INET6 : AF_INET;
  inet_ntop(af, k.saddr.w, s, sizeof s);
  inet_ntop(af, k.daddr.w, d, sizeof d);
  return std::string(s) + ":" + std::to_string(ntohs(k.sport)) + " -> " + d + ":" +
         std::to_string(ntohs(k.dport)) + " proto " + std::to_string(k.proto);
}

// The client's tuple a reply entry translates back to (docs/architecture.md, Conntrack): its
// packets leave from the VIP (nat_saddr:nat_sport) to the client, which is nat_daddr:nat_dport
// in FullNAT (DNAT flag) and the reply's own destination in NAT. A NAT64 reply entry names an
// IPv6 client (its nat_family).
xlb_ct_key orig_key_of_reply(const xlb_ct_key& reply, const xlb_ct_entry& e) {
  const bool full = e.flags & XLB_CT_F_DNAT;
  xlb_ct_key k{};
  k.saddr = full ? e.nat_daddr : reply.daddr;
  k.sport = full ? e.nat_dport : reply.dport;
  k.daddr = e.nat_saddr;
  k.dport = e.nat_sport;
  k.proto = reply.proto;
  k.family = e.nat_family ? e.nat_family : reply.family;
  return k;
}

xlb_ct_key ct_key_of(const fuzz::Tuple& t) {
  xlb_ct_key k{};
  std::copy(t.saddr.begin(), t.saddr.end(), k.saddr.w);
  std::copy(t.daddr.begin(), t.daddr.end(), k.daddr.w);
  k.sport = htons(t.sport);
  k.dport = htons(t.dport);
  k.proto = t.proto;
  k.family = t.v6 ? XLB_AF_INET6 : XLB_AF_INET;
  return k;
}

fuzz::Addr addr_of(const char* text) {
  xlb_ip ip = xip(text);
  return {ip.w[0], ip.w[1], ip.w[2], ip.w[3]};
}

// The verdict counters summed over CPUs, read in one batched syscall: cheap enough to read
// after every frame.
class VerdictCounters {
 public:
  explicit VerdictCounters(int fd)
      : fd_(fd),
        cpus_(libbpf_num_possible_cpus()),
        keys_(XLB_STAT_MAX),
        values_(XLB_STAT_MAX * static_cast<size_t>(std::max(cpus_, 1))) {}

  std::array<uint64_t, XLB_STAT_MAX> read() {
    std::array<uint64_t, XLB_STAT_MAX> sums{};
    uint32_t count = XLB_STAT_MAX, out = 0;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int rc = bpf_map_lookup_batch(fd_, nullptr, &out, keys_.data(), values_.data(), &count, &opts);
    if ((rc != 0 && errno != ENOENT) || count != XLB_STAT_MAX) {
      ADD_FAILURE() << "batch lookup of the verdict counters: rc " << rc << ", " << count << " of "
                    << XLB_STAT_MAX << " read";
      return sums;
    }
    for (uint32_t i = 0; i < count; ++i)
      for (int cpu = 0; cpu < cpus_; ++cpu) sums.at(keys_[i]) += values_[i * cpus_ + cpu];
    return sums;
  }

 private:
  int fd_;
  int cpus_;
  std::vector<uint32_t> keys_;
  std::vector<uint64_t> values_;
};

// The TC action a verdict reason stands for: drops are dropped, passes handed to the kernel,
// forwards and the datapath's own answers redirected.
int action_of_reason(uint32_t reason) {
  const std::string name = xlb_dp_stat_names[reason];
  if (name.rfind("drop_", 0) == 0) return TC_ACT_SHOT;
  if (name.rfind("pass_", 0) == 0) return TC_ACT_OK;
  return TC_ACT_REDIRECT;  // fwd_new, fwd_est, arp_reply, icmp_echo_reply, icmp_frag_needed
}

class FuzzTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto two = [](size_t first, uint16_t port) {
      return std::vector<EpSpec>{{kEndpoints[first], port}, {kEndpoints[first + 1], port}};
    };
    auto two6 = [](size_t first, uint16_t port) {
      return std::vector<EpSpec>{{kEndpoints6[first], port}, {kEndpoints6[first + 1], port}};
    };
    install(rule(0), make_svc(1, XLB_SEL_RR, two(0, 8080)));
    install(rule(1), fullnat(make_svc(2, XLB_SEL_HASH, two(0, 8081))));
    install(rule(2), dsr(make_svc(3, XLB_SEL_HASH, two(2, 82))));
    install(rule(3),
            dsr(make_svc(4, XLB_SEL_HASH, {{kRoutedEndpoints[0], 83}, {kRoutedEndpoints[1], 83}}),
                /*ipip=*/true));
    install(rule(4), make_svc(5, XLB_SEL_RR, two(0, 5353)));
    install(rule(5), fullnat(make_svc(6, XLB_SEL_RR, two(2, 5454))));
    install(rule(6), make_svc(7, XLB_SEL_HASH, two(2, 8080)));
    install(rule(7), make_svc(8, XLB_SEL_RR, two6(0, 8080)));
    install(rule(8), fullnat(make_svc(9, XLB_SEL_HASH, two6(0, 8081))));
    install(rule(9), dsr(make_svc(10, XLB_SEL_HASH, two6(2, 82))));
    install(rule(10), dsr(make_svc(11, XLB_SEL_HASH,
                                   {{kRoutedEndpoints6[0], 83}, {kRoutedEndpoints6[1], 83}}),
                          /*ipip=*/true));
    install(rule(11), make_svc(12, XLB_SEL_MAGLEV, two6(0, 5353)));
    install_maglev_table(12, two6(0, 5353));
    install(rule(12), fullnat(make_svc(13, XLB_SEL_PERSIST, two6(2, 5454))));
    install(rule(13), fullnat(make_svc(14, XLB_SEL_HASH, two(0, 8084))));  // NAT64
    install(rule(14), fullnat(make_svc(15, XLB_SEL_RR, two(2, 5555)), {"10.0.2.6"}));
    ct_fds_ = {map_fd(XLB_MAP_CT), map_fd(XLB_MAP_CT_SYN)};
    ASSERT_GE(ct_fds_[0], 0);
    ASSERT_GE(ct_fds_[1], 0);
    const int stats_fd = map_fd(XLB_MAP_DP_STATS);
    ASSERT_GE(stats_fd, 0);
    counters_ = std::make_unique<VerdictCounters>(stats_fd);
    counted_ = counters_->read();
  }

  static Rule rule(size_t i) {
    return {kRules[i].rule.vip, kRules[i].rule.port, kRules[i].rule.proto};
  }

  const FuzzRuleSpec* rule_for(const fuzz::Tuple& t) const {
    for (const auto& r : kRules)
      if (addr_of(r.rule.vip) == t.daddr && is_v6(r.rule.vip) == t.v6 && r.rule.port == t.dport &&
          r.rule.proto == t.proto)
        return &r;
    return nullptr;
  }
  static bool is_vip(const fuzz::Addr& addr) {
    for (const char* vip : {kVip, kVip2, kVip6, kVip6b})
      if (addr == addr_of(vip)) return true;
    return false;
  }
  // maglev needs its table (src/select builds it, as the reconciler does).
  void install_maglev_table(uint32_t id, const std::vector<EpSpec>& eps) {
    std::vector<xlb::select::MaglevBackend> backends;
    for (uint32_t i = 0; i < eps.size(); ++i)
      backends.push_back({i, std::string(eps[i].host.ip) + ":" + std::to_string(eps[i].port), 1});
    ASSERT_TRUE(
        dp().set_maglev_table(id, 0, xlb::select::build_maglev(backends, XLB_MAGLEV_DEFAULT_SIZE))
            .ok());
  }

  std::optional<xlb_ct_entry> ct_entry(const xlb_ct_key& k) const {
    xlb_ct_entry e{};
    for (int fd : ct_fds_)  // main map first, as the datapath looks
      if (bpf_map_lookup_elem(fd, &k, &e) == 0) return e;
    return std::nullopt;
  }

  std::set<std::string> ct_keys() const {
    std::set<std::string> keys;
    for (int fd : ct_fds_) {
      xlb_ct_key k{}, next{};
      const void* prev = nullptr;
      while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        keys.insert(key_bytes(next));
        k = next;
        prev = &k;
      }
    }
    return keys;
  }

  // The independent verdict: may the datapath hand this frame on changed? Flow membership is
  // asked of conntrack after the run (an entry this frame created is one a rule allowed).
  bool may_rewrite(const Reading& r) const {
    switch (r.kind) {
      case Reading::kArpRequest:
      case Reading::kNeighborSolicit:
        return is_vip(r.arp_target);
      case Reading::kIcmpEcho:
        return is_vip(r.tuple.daddr);
      case Reading::kTcpUdp:
        return r.ttl > 1 && (rule_for(r.tuple) || ct_entry(ct_key_of(r.tuple)));
      case Reading::kIcmpError: {
        if (r.ttl <= 1 || !r.quote_names_flow) return false;
        fuzz::Tuple back{r.quote.daddr, r.quote.saddr, r.quote.dport,
                         r.quote.sport, r.quote.proto, r.quote.v6};
        auto e = ct_entry(ct_key_of(back));
        return e && e->dir == XLB_DIR_REPLY;
      }
      default:
        return false;
    }
  }

  void fail(uint64_t index, const Frame& f, const std::string& why) {
    ++failures_;
    if (failures_ > kMaxReported) return;
    std::ostringstream msg;
    msg << "frame #" << index << " (seed " << seed_ << ", "
        << (f.from_backend ? "backend" : "client") << " side): " << why << "\n  input "
        << hex(f.bytes);
    for (const auto& [name, value] : describe(f.bytes)) msg << "\n    " << name << " = " << value;
    ADD_FAILURE() << msg.str();
  }

  // Exactly one verdict counter moved since the last frame, by one, and of the verdict's kind;
  // none when the kernel refused to run the frame.
  void check_counted(uint64_t index, const Frame& f, const Verdict& v) {
    const auto now = counters_->read();
    std::string moved;
    int reasons = 0;
    bool kind_ok = true;
    for (uint32_t i = 0; i < XLB_STAT_MAX; ++i) {
      const uint64_t by = now[i] - counted_[i];
      if (by == 0) continue;
      reasons += by == 1 ? 1 : 2;
      kind_ok = kind_ok && action_of_reason(i) == v.action;
      moved +=
          std::string(moved.empty() ? "" : ", ") + xlb_dp_stat_names[i] + " +" + std::to_string(by);
    }
    counted_ = now;
    const int want = v.err ? 0 : 1;
    if (reasons != want || (want && !kind_ok))
      fail(index, f,
           "verdict " + std::to_string(v.action) + " counted as {" + moved + "}, expected " +
               (want ? "exactly one counter of its kind" : "nothing (not run)"));
  }

  // Runs one frame and checks the per-frame invariants; returns false when the kernel refused it.
  bool run_one(uint64_t index, const Frame& f, std::set<std::string>& flow_starts) {
    Reading r = fuzz::read_frame(f.bytes);
    const FuzzRuleSpec* rule = r.kind == Reading::kTcpUdp ? rule_for(r.tuple) : nullptr;
    if (rule && r.ttl > 1) flow_starts.insert(key_bytes(ct_key_of(r.tuple)));
    Verdict v = try_run(f.bytes, f.from_backend ? env().be_ifindex : env().cli_ifindex);
    check_counted(index, f, v);
    if (v.err) {
      // BPF_PROG_TEST_RUN refuses frames without room for the headers it expects (EINVAL).
      if (v.err != -EINVAL) fail(index, f, "BPF_PROG_TEST_RUN error " + std::to_string(v.err));
      return false;
    }
    const bool changed = v.action != TC_ACT_SHOT && v.frame != f.bytes;
    if (!changed) return true;
    ++rewritten_;
    if (is_v6_frame(f.bytes)) ++rewritten6_;
    if (is_v6_frame(f.bytes) != is_v6_frame(v.frame)) ++translated64_;  // NAT64, either way
    if (!may_rewrite(r)) {
      fail(index, f,
           "changed (verdict " + std::to_string(v.action) +
               ") but not valid traffic for a VIP or a tracked flow; output " + hex(v.frame));
      return true;
    }
    if (r.kind != Reading::kArpRequest) check_checksums(index, f, v);
    if (rule && rule->mode != XLB_MODE_DSR && v.action == TC_ACT_REDIRECT) remember_flow(r, v);
    return true;
  }

  void check_checksums(uint64_t index, const Frame& f, const Verdict& v) {
    if (ChecksumsValid(f.bytes)) {
      if (auto ok = ChecksumsValid(v.frame); !ok)
        fail(index, f,
             std::string("rewritten with a bad checksum: ") + ok.message() + "; output " +
                 hex(v.frame));
      return;
    }
    // A corrupt L4 checksum travels on (the endpoint drops the segment), but is never repaired
    // into one that verifies. Frames the datapath answers with a new packet quote too little of
    // the input to carry its L4 checksum, so only same-protocol outputs are compared.
    auto in = ip_layout(f.bytes);
    auto out = ip_layout(v.frame);
    if (in && out && in->proto == out->proto && ChecksumsValid(v.frame))
      fail(index, f, "a bad input checksum came out valid; output " + hex(v.frame));
  }

  // A forwarded new NAT/FullNAT flow: remember the endpoint side for replies and ICMP errors.
  void remember_flow(const Reading& r, const Verdict& v) {
    auto l = ip_layout(v.frame);
    if (!l || l->proto != r.tuple.proto) return;
    auto addr = [&](size_t off) {
      char buf[INET6_ADDRSTRLEN];
      inet_ntop(l->v6 ? AF_INET6 : AF_INET, &v.frame[off], buf, sizeof buf);
      return std::string(buf);
    };
    auto port = [&](size_t off) {
      return static_cast<uint16_t>(v.frame[off] << 8 | v.frame[off + 1]);
    };
    const size_t saddr = l->l3 + (l->v6 ? 8 : 12), daddr = l->l3 + (l->v6 ? 24 : 16);
    OpenFlow of{r.tuple.proto, addr(daddr), port(l->l4 + 2), {}, addr(saddr), port(l->l4)};
    std::copy_n(v.frame.begin(), 6, of.ep_mac.begin());
    if (flows_.size() < kMaxOpenFlows)
      flows_.push_back(of);
    else
      flows_[gen_->rng().below(kMaxOpenFlows)] = of;
  }

  // Runs `frames` as one batch and checks the batch invariant (conntrack growth).
  void run_batch(const std::vector<Frame>& frames) {
    const auto keys_before = ct_keys();
    std::set<std::string> flow_starts;
    for (const Frame& f : frames) {
      ran_ += run_one(sent_, f, flow_starts) ? 1 : 0;
      ++sent_;
    }
    for (const auto& kb : ct_keys()) {
      if (keys_before.count(kb)) continue;
      xlb_ct_key k;
      std::memcpy(&k, kb.data(), sizeof k);
      auto e = ct_entry(k);
      if (!e) continue;  // gone since (replaced by a newer flow on the same tuple)
      // A reply entry belongs to the orig entry its reversed translation names.
      const xlb_ct_key orig = e->dir == XLB_DIR_REPLY ? orig_key_of_reply(k, *e) : k;
      if (e->dir == XLB_DIR_ORIG) ++new_flows_;
      if (e->dir == XLB_DIR_ORIG && k.family == XLB_AF_INET6) ++new_flows6_;
      if (!flow_starts.count(key_bytes(orig))) {
        ADD_FAILURE() << (e->dir == XLB_DIR_REPLY ? "reply" : "orig") << " conntrack entry "
                      << describe_key(k) << " created by no valid new flow (batch ending at frame #"
                      << sent_ << ", seed " << seed_ << ")";
      }
    }
    // Keep the table small enough to list after every batch.
    if (keys_before.size() > 20'000) {
      for (const auto& kb : keys_before)
        for (int fd : ct_fds_) bpf_map_delete_elem(fd, kb.data());
      flows_.clear();
    }
  }

  std::array<int, 2> ct_fds_ = {-1, -1};  // main and syn CT maps
  std::unique_ptr<VerdictCounters> counters_;
  std::array<uint64_t, XLB_STAT_MAX> counted_{};  // the counters after the last frame
  uint64_t seed_ = kDefaultSeed;
  std::unique_ptr<fuzz::FrameGen> gen_;
  std::vector<OpenFlow> flows_;
  uint64_t sent_ = 0, ran_ = 0, rewritten_ = 0, rewritten6_ = 0, new_flows_ = 0, failures_ = 0;
  uint64_t new_flows6_ = 0, translated64_ = 0;
};

TEST_F(FuzzTest, MillionFramesKeepTheInvariants) {
  seed_ = env_u64("XLB_FUZZ_SEED", kDefaultSeed);
  const uint64_t total = env_u64("XLB_FUZZ_FRAMES", kDefaultFrames);
  std::vector<fuzz::FuzzRule> rules;
  for (const auto& r : kRules) rules.push_back(r.rule);
  gen_ = std::make_unique<fuzz::FrameGen>(seed_, rules);
  const auto start = std::chrono::steady_clock::now();

  // Deterministic part: every TCP flag combination to every TCP rule, then a few templates
  // (one quoting a flow opened above) truncated at every offset.
  run_batch(gen_->every_tcp_flag_combination());
  std::vector<Frame> cuts;
  for (const Frame& t : gen_->templates(flows_))
    for (size_t len = 0; len < t.bytes.size(); ++len)
      cuts.push_back(
          {Bytes(t.bytes.begin(), t.bytes.begin() + static_cast<long>(len)), t.from_backend});
  run_batch(cuts);

  std::vector<Frame> batch;
  while (sent_ < total && failures_ <= kMaxReported) {
    batch.clear();
    for (size_t i = 0; i < kBatch && sent_ + batch.size() < total; ++i)
      batch.push_back(gen_->next(flows_));
    run_batch(batch);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "fuzz: seed %#llx, %llu frames (%llu run, %llu refused by the kernel), %llu changed (%llu "
      "IPv6, %llu NAT64), %llu flows started (%llu IPv6), %.1f s\n",
      static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(sent_),
      static_cast<unsigned long long>(ran_), static_cast<unsigned long long>(sent_ - ran_),
      static_cast<unsigned long long>(rewritten_), static_cast<unsigned long long>(rewritten6_),
      static_cast<unsigned long long>(translated64_), static_cast<unsigned long long>(new_flows_),
      static_cast<unsigned long long>(new_flows6_), secs);
  EXPECT_GE(sent_, total);
  EXPECT_EQ(failures_, 0u);
  // The generator must reach the interesting paths, or the invariants prove nothing.
  EXPECT_GT(rewritten_, sent_ / 10);
  EXPECT_GT(new_flows_, 100u);
  // IPv6 too: its share of rewrites and new flows.
  EXPECT_GT(rewritten6_, sent_ / 40);
  EXPECT_GT(new_flows6_, 50u);
  // NAT64 too: frames that changed family on the way through (both directions, ICMP errors).
  EXPECT_GT(translated64_, sent_ / 200);
}

}  // namespace
}  // namespace xlbtest

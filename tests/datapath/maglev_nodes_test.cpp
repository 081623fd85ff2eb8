// Active/active nodes behind ECMP: a flow the router moves to another node must reach the same
// endpoint there. Two nodes are played by one datapath in turn, each driven through the real
// Reconciler with a different edit history (so their endpoint indexes differ); every tuple must
// pick the same endpoint address on both, and a node in the middle of an update must, after
// every single datapath write, pick exactly as the old or the new configuration does as a whole
// (never per-node hash slots, never a mix of the two tables).
#include <arpa/inet.h>

#include <functional>
#include <string>
#include <vector>

#include "common/ip.h"
#include "fixture.h"
#include "reconcile/reconciler.h"
#include "store/store.h"

namespace xlbtest {
namespace {

class NoStore final : public xlb::Store {
 public:
  xlb::Result<std::optional<xlb::model::Config>> load() override {
    return std::optional<xlb::model::Config>{};
  }
  xlb::Result<void> save(const xlb::model::Config&) override { return xlb::Ok{}; }
};

// Forwards to the real datapath and calls `after_write` after each call that changes it, so the
// test can run packets at every intermediate state of a reconciler update.
class ProbingDatapath final : public xlb::Datapath {
 public:
  explicit ProbingDatapath(xlb::Datapath& inner) : in_(inner) {}
  std::function<void(const std::string& call)> after_write;

  xlb::Result<void> for_each_flow(
      const std::function<bool(const xlb::CtFlow&)>& fn) const override {
    return in_.for_each_flow(fn);
  }
  xlb::Result<std::optional<xlb_ct_entry>> lookup_flow(const xlb_ct_key& key) const override {
    return in_.lookup_flow(key);
  }
  uint32_t ct_capacity() const override { return in_.ct_capacity(); }
  uint32_t ct_syn_capacity() const override { return in_.ct_syn_capacity(); }
  xlb::Result<void> upsert_service(const xlb_svc_key& key, const xlb_svc& svc) override {
    return wrote("upsert_service", in_.upsert_service(key, svc));
  }
  xlb::Result<void> delete_service(const xlb_svc_key& key) override {
    return wrote("delete_service", in_.delete_service(key));
  }
  xlb::Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> list_services() const override {
    return in_.list_services();
  }
  xlb::Result<void> upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) override {
    return wrote("upsert_vip", in_.upsert_vip(vip, info));
  }
  xlb::Result<void> delete_vip(const xlb_ip& vip) override {
    return wrote("delete_vip", in_.delete_vip(vip));
  }
  xlb::Result<xlb_counter> service_counter(uint32_t id) const override {
    return in_.service_counter(id);
  }
  xlb::Result<xlb_counter> endpoint_counter(uint32_t id, uint32_t idx) const override {
    return in_.endpoint_counter(id, idx);
  }
  xlb::Result<xlb_dsr_counter> dsr_counter(uint32_t id, uint32_t idx) const override {
    return in_.dsr_counter(id, idx);
  }
  xlb::Result<std::vector<uint64_t>> datapath_counters() const override {
    return in_.datapath_counters();
  }
  xlb::Result<void> reset_service_counters(uint32_t id) override {
    return wrote("reset_service_counters", in_.reset_service_counters(id));
  }
  xlb::Result<void> delete_flow(const xlb_ct_key& key) override { return in_.delete_flow(key); }
  xlb::Result<void> set_maglev_table(uint32_t id, uint8_t gen,
                                     const std::vector<uint32_t>& table) override {
    return wrote("set_maglev_table", in_.set_maglev_table(id, gen, table));
  }
  xlb::Result<void> clear_maglev_table(uint32_t id) override {
    return wrote("clear_maglev_table", in_.clear_maglev_table(id));
  }
  xlb::Result<uint32_t> active_flows(uint32_t id, uint32_t idx) const override {
    return in_.active_flows(id, idx);
  }
  xlb::Result<void> set_active_flows(uint32_t id, uint32_t idx, uint32_t count) override {
    return in_.set_active_flows(id, idx, count);
  }
  xlb::Result<void> set_ha_state(uint32_t instance, xlb_ha_state state) override {
    return in_.set_ha_state(instance, state);
  }
  xlb::Result<xlb_ha_state> ha_state(uint32_t instance) const override {
    return in_.ha_state(instance);
  }
  xlb::Result<void> attach(const std::string& ifname) override { return in_.attach(ifname); }
  xlb::Result<void> detach(const std::string& ifname) override { return in_.detach(ifname); }
  std::vector<xlb::Attachment> attachments() const override { return in_.attachments(); }
  xlb::Result<void> set_flow_events(bool on) override { return in_.set_flow_events(on); }
  xlb::Result<size_t> poll_flow_events(int timeout_ms,
                                       const std::function<void(const FlowEvent&)>& fn) override {
    return in_.poll_flow_events(timeout_ms, fn);
  }
  xlb::Result<void> install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& orig) override {
    return in_.install_synced_flow(key, orig);
  }
  xlb::Result<void> remove_synced_flow(const xlb_ct_key& key) override {
    return in_.remove_synced_flow(key);
  }
  xlb::Result<void> set_snat_port_range(uint16_t lo, uint16_t hi) override {
    return in_.set_snat_port_range(lo, hi);
  }
  uint32_t max_services() const override { return in_.max_services(); }

 private:
  xlb::Result<void> wrote(const std::string& call, xlb::Result<void> r) {
    if (r && after_write) after_write(call);
    return r;
  }
  xlb::Datapath& in_;
};

constexpr size_t kTuples = 400;

class MaglevNodesTest : public DatapathTest {
 protected:
  // A node: the test's datapath, emptied, under a fresh reconciler.
  void new_node() {
    open_datapath(65536, 0);
    probing_ = std::make_unique<ProbingDatapath>(dp());
    rec_ = std::make_unique<xlb::Reconciler>(*probing_, store_);
    ASSERT_TRUE(rec_->restore().ok());
  }
  // The rule over these endpoints of the topology (kEndpoints indexes), in this order.
  static xlb::model::Service rule(const std::vector<int>& hosts) {
    xlb::model::Service s;
    s.key = {kVip, xlb::model::Protocol::tcp, 80};
    s.select = xlb::model::Select::maglev;
    s.maglev_size = 1021;  // prime; small keeps the pushes quick
    for (int h : hosts) s.endpoints.push_back({kEndpoints.at(h).ip, 8080, 1});
    return s;
  }
  void set(const xlb::model::Service& s) {
    auto r = rec_->upsert(s);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  static Flow tuple(size_t n) {
    Flow f;
    f.client = client_host(n % 150);
    f.cport = static_cast<uint16_t>(20000 + n / 150);
    return f;
  }
  // The endpoint address each tuple's SYN is sent to now ("-" when none takes it); the flows
  // are forgotten again, so the next call selects afresh.
  std::vector<std::string> picks() {
    std::vector<EpSpec> all = endpoints(kEndpoints.size());
    std::vector<std::string> out;
    for (size_t n = 0; n < kTuples; ++n) {
      Flow f = tuple(n);
      Verdict v = from_client(f.client_tcp(tcpf::SYN));
      int idx = endpoint_of(v, all);
      if (idx >= 0 && !Forwarded(v, f.to_endpoint(f.client_tcp(tcpf::SYN), all[idx]))) idx = -1;
      out.push_back(idx < 0 ? "-" : all[idx].host.ip);
      if (idx >= 0) forget_flow(f, all[idx]);
    }
    return out;
  }

  NoStore store_;
  std::unique_ptr<ProbingDatapath> probing_;
  std::unique_ptr<xlb::Reconciler> rec_;
};

TEST_F(MaglevNodesTest, NodesWithDifferentEditHistoriesPickTheSameEndpointForEveryTuple) {
  XLB_REQUIRE_ENV();
  // Node A: endpoints added in order.
  new_node();
  set(rule({0, 1, 2}));
  const auto a = picks();
  // Node B: another order, an endpoint added and removed (its index is reused), one down and up.
  new_node();
  set(rule({3, 2}));
  set(rule({3, 2, 1}));
  auto b_rule = rule({3, 2, 1});
  b_rule.endpoints[0].state = xlb::model::EndpointState::down;
  set(b_rule);
  set(rule({2, 0, 1}));  // 3 removed, 0 takes its index
  auto xs = rule({2, 0, 1});
  xs.endpoints[2].state = xlb::model::EndpointState::draining;
  set(xs);
  set(rule({2, 0, 1}));
  const auto b = picks();

  ASSERT_EQ(a.size(), b.size());
  size_t differ = 0;
  std::set<std::string> used;
  for (size_t n = 0; n < a.size(); ++n) {
    differ += a[n] != b[n];
    used.insert(a[n]);
  }
  EXPECT_EQ(differ, 0u) << "tuples sent to different endpoints by the two nodes";
  EXPECT_EQ(used, (std::set<std::string>{kEndpoints[0].ip, kEndpoints[1].ip, kEndpoints[2].ip}));
}

TEST_F(MaglevNodesTest, ANodeInTheMiddleOfAnUpdatePicksAsTheOldOrTheNewConfiguration) {
  XLB_REQUIRE_ENV();
  // The reference node, built directly in each configuration.
  new_node();
  set(rule({0, 1, 2}));
  const auto old_picks = picks();
  new_node();
  set(rule({3, 1, 2}));  // 0 replaced by 3 (index reuse on the updating node)
  const auto replaced = picks();
  new_node();
  set(rule({2, 1, 3, 0}));  // and 0 back: an endpoint added beyond the old count
  const auto grown = picks();
  ASSERT_NE(old_picks, replaced);
  ASSERT_NE(replaced, grown);

  // The updating node, probed after every datapath write of each update.
  new_node();
  set(rule({0, 1, 2}));
  ASSERT_EQ(picks(), old_picks);
  std::vector<std::string> before = old_picks, after;
  size_t states = 0;
  probing_->after_write = [&](const std::string& call) {
    auto now = picks();
    ++states;
    EXPECT_TRUE(now == before || now == after)
        << "after " << call << " the node picks neither as the old nor as the new rule";
  };
  after = replaced;
  set(rule({3, 1, 2}));
  EXPECT_EQ(picks(), replaced);
  before = replaced;
  after = grown;
  set(rule({3, 1, 2, 0}));
  EXPECT_EQ(picks(), grown);
  probing_->after_write = nullptr;
  EXPECT_GE(states, 4u) << "each update writes the table and the rule";
}

}  // namespace
}  // namespace xlbtest

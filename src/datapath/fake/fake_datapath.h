// FakeDatapath: an in-memory Datapath for unit tests. Tests read what was written, seed
// counters and flows, and inject failures to exercise rollback. It behaves like BpfDatapath
// (maps of max_services entries, absent keys deleted without error, per-rule slots checked):
// tests/contract/datapath_contract.cpp runs the same expectations against both.
// Conntrack (flows, active-flow counts) and flow events are guarded by a lock, so a sync
// engine's threads may write synced flows while a test reads them; the rest is single-threaded.
#pragma once

#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "datapath/datapath.h"

namespace xlb {

// Orders ABI structs by their bytes (they have explicit padding, all zeroed).
struct BytesLess {
  template <class T>
  bool operator()(const T& a, const T& b) const {
    return std::memcmp(&a, &b, sizeof(T)) < 0;
  }
};

class FakeDatapath final : public Datapath {
 public:
  enum class Op {
    upsert_service,
    delete_service,
    upsert_vip,
    delete_vip,
    reset_service_counters,
    list_services,
    for_each_flow,
    set_ha_state,
  };

  explicit FakeDatapath(uint32_t max_services = XLB_DEFAULT_MAX_SERVICES)
      : max_services_(max_services) {}

  // The (skip+1)-th next call of `op` fails with code "datapath" and writes nothing.
  void fail_next(Op op, unsigned skip = 0) { failures_[op] = skip; }

  // Test access to the state.
  const std::map<xlb_svc_key, xlb_svc, BytesLess>& services() const { return services_; }
  const std::map<xlb_ip, xlb_vip_info, BytesLess>& vips() const { return vips_; }
  const std::vector<uint32_t>& counter_resets() const { return counter_resets_; }
  // Number of map writes that changed something (upserts, and deletes of present services and
  // VIPs).
  size_t writes() const { return writes_; }
  void set_service_counter(uint32_t svc_id, const xlb_counter& c) { svc_counters_[svc_id] = c; }
  void set_endpoint_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_counter& c) {
    ep_counters_[{svc_id, ep_idx}] = c;
  }
  void set_dsr_counter(uint32_t svc_id, uint32_t ep_idx, const xlb_dsr_counter& c) {
    dsr_counters_[{svc_id, ep_idx}] = c;
  }
  // syn_map: into the embryonic-flow map (visited after the main one, like BpfDatapath's).
  void add_flow(const xlb_ct_key& key, const xlb_ct_entry& entry, bool syn_map = false) {
    std::lock_guard lock(ct_mu_);
    (syn_map ? syn_flows_ : flows_)[key] = entry;
  }
  // A flow event as the datapath would report it; dropped (like the real ring's producer, which
  // emits nothing) while events are off.
  void push_flow_event(const FlowEvent& event);
  bool flow_events_on() const;
  // The FullNAT source port range set_snat_port_range recorded.
  std::pair<uint16_t, uint16_t> snat_port_range() const { return snat_range_; }
  // Interfaces that exist for attach() (the kernel's network namespace, for BpfDatapath), and
  // the hook each gets when attached (as BpfDatapath's choice by request and driver).
  void add_interface(const std::string& ifname, AttachHook hook = AttachHook::tc,
                     TcLink tc_link = TcLink::clsact) {
    interfaces_[ifname] = {ifname, hook, tc_link};
  }
  void set_ct_capacity(uint32_t main, uint32_t syn) {
    ct_capacity_ = main;
    ct_syn_capacity_ = syn;
  }
  void set_datapath_counters(std::vector<uint64_t> c) { dp_counters_ = std::move(c); }
  // By xlb_maglev_key(rule id, generation).
  const std::map<uint32_t, std::vector<uint32_t>>& maglev_tables() const { return maglev_; }

  Result<void> upsert_service(const xlb_svc_key& key, const xlb_svc& svc) override;
  Result<void> delete_service(const xlb_svc_key& key) override;
  Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> list_services() const override;
  Result<void> upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) override;
  Result<void> delete_vip(const xlb_ip& vip) override;
  Result<xlb_counter> service_counter(uint32_t svc_id) const override;
  Result<xlb_counter> endpoint_counter(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<xlb_dsr_counter> dsr_counter(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<std::vector<uint64_t>> datapath_counters() const override;
  Result<void> reset_service_counters(uint32_t svc_id) override;
  Result<void> for_each_flow(const std::function<bool(const CtFlow&)>& fn) const override;
  Result<std::optional<xlb_ct_entry>> lookup_flow(const xlb_ct_key& key) const override;
  Result<void> delete_flow(const xlb_ct_key& key) override;
  Result<void> set_maglev_table(uint32_t svc_id, uint8_t generation,
                                const std::vector<uint32_t>& table) override;
  Result<void> clear_maglev_table(uint32_t svc_id) override;
  Result<uint32_t> active_flows(uint32_t svc_id, uint32_t ep_idx) const override;
  Result<void> set_active_flows(uint32_t svc_id, uint32_t ep_idx, uint32_t count) override;
  Result<void> set_ha_state(uint32_t instance, xlb_ha_state state) override;
  Result<xlb_ha_state> ha_state(uint32_t instance) const override;
  Result<void> attach(const std::string& ifname) override;
  Result<void> detach(const std::string& ifname) override;
  std::vector<Attachment> attachments() const override;
  Result<void> set_flow_events(bool on) override;
  Result<size_t> poll_flow_events(int timeout_ms,
                                  const std::function<void(const FlowEvent&)>& fn) override;
  Result<void> install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& orig) override;
  Result<void> remove_synced_flow(const xlb_ct_key& key) override;
  Result<void> set_snat_port_range(uint16_t lo, uint16_t hi) override;
  uint32_t max_services() const override { return max_services_; }
  uint32_t ct_capacity() const override { return ct_capacity_; }
  uint32_t ct_syn_capacity() const override { return ct_syn_capacity_; }

 private:
  // Consumes a pending failure for `op`; const so const calls can fail too.
  Result<void> maybe_fail(Op op) const;
  // The map holding `key` (main first), or nullptr (under ct_mu_).
  std::map<xlb_ct_key, xlb_ct_entry, BytesLess>* ct_map_holding(const xlb_ct_key& key);
  void add_active_flow(uint32_t svc_id, uint32_t ep_idx, int delta);  // under ct_mu_

  uint32_t max_services_;
  mutable std::map<Op, unsigned> failures_;
  std::map<xlb_svc_key, xlb_svc, BytesLess> services_;
  std::map<xlb_ip, xlb_vip_info, BytesLess> vips_;
  std::map<uint32_t, xlb_counter> svc_counters_;
  std::map<std::pair<uint32_t, uint32_t>, xlb_counter> ep_counters_;
  std::map<std::pair<uint32_t, uint32_t>, xlb_dsr_counter> dsr_counters_;
  // Recursive: for_each_flow's visitor may look flows up, as the ager does.
  mutable std::recursive_mutex ct_mu_;
  std::condition_variable_any events_cv_;
  std::deque<FlowEvent> events_;
  bool events_on_ = false;
  std::pair<uint16_t, uint16_t> snat_range_{XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX};
  std::map<xlb_ct_key, xlb_ct_entry, BytesLess> flows_;
  std::map<xlb_ct_key, xlb_ct_entry, BytesLess> syn_flows_;
  uint32_t ct_capacity_ = XLB_DEFAULT_CT_SIZE;
  uint32_t ct_syn_capacity_ = XLB_DEFAULT_CT_SIZE / XLB_CT_SYN_DEFAULT_DIVISOR;
  std::map<uint32_t, std::vector<uint32_t>> maglev_;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> active_flows_;
  std::vector<uint64_t> dp_counters_ = std::vector<uint64_t>(XLB_STAT_MAX, 0);
  std::vector<uint32_t> counter_resets_;
  std::map<std::string, Attachment> interfaces_;
  std::set<std::string> attached_;
  std::map<uint32_t, xlb_ha_state> ha_states_;
  size_t writes_ = 0;
};

}  // namespace xlb

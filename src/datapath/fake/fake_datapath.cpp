#include "datapath/fake/fake_datapath.h"

#include "datapath/datapath_limits.h"

namespace xlb {
namespace {

// What the kernel answers an insert into a full hash map (E2BIG), in BpfDatapath's words.
Error fake_map_full(const char* map) {
  return Error{ErrorCode::datapath,
               std::string("update on map ") + map + " failed: Argument list too long", ""};
}

}  // namespace

Result<void> FakeDatapath::maybe_fail(Op op) const {
  auto it = failures_.find(op);
  if (it == failures_.end()) return Ok{};
  if (it->second > 0) {
    --it->second;
    return Ok{};
  }
  failures_.erase(it);
  return Error{ErrorCode::datapath, "injected failure", ""};
}

Result<void> FakeDatapath::upsert_service(const xlb_svc_key& key, const xlb_svc& svc) {
  XLB_TRY(maybe_fail(Op::upsert_service));
  XLB_TRY(check_rule_id(svc.id, max_services_));
  if (!services_.contains(key) && services_.size() >= max_services_)
    return fake_map_full(XLB_MAP_SVC);
  services_[key] = svc;
  ++writes_;
  return Ok{};
}

// Like the kernel's map: deleting an absent key leaves the state asked for.
Result<void> FakeDatapath::delete_service(const xlb_svc_key& key) {
  XLB_TRY(maybe_fail(Op::delete_service));
  if (services_.erase(key) != 0) ++writes_;
  return Ok{};
}

Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> FakeDatapath::list_services() const {
  XLB_TRY(maybe_fail(Op::list_services));
  return std::vector<std::pair<xlb_svc_key, xlb_svc>>(services_.begin(), services_.end());
}

Result<void> FakeDatapath::upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) {
  XLB_TRY(maybe_fail(Op::upsert_vip));
  if (!vips_.contains(vip) && vips_.size() >= max_services_) return fake_map_full(XLB_MAP_VIP);
  vips_[vip] = info;
  ++writes_;
  return Ok{};
}

Result<void> FakeDatapath::delete_vip(const xlb_ip& vip) {
  XLB_TRY(maybe_fail(Op::delete_vip));
  if (vips_.erase(vip) != 0) ++writes_;
  return Ok{};
}

Result<xlb_counter> FakeDatapath::service_counter(uint32_t svc_id) const {
  XLB_TRY(check_rule_id(svc_id, max_services_));
  auto it = svc_counters_.find(svc_id);
  return it == svc_counters_.end() ? xlb_counter{} : it->second;
}

Result<xlb_counter> FakeDatapath::endpoint_counter(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, max_services_));
  auto it = ep_counters_.find({svc_id, ep_idx});
  return it == ep_counters_.end() ? xlb_counter{} : it->second;
}

Result<xlb_dsr_counter> FakeDatapath::dsr_counter(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, max_services_));
  auto it = dsr_counters_.find({svc_id, ep_idx});
  return it == dsr_counters_.end() ? xlb_dsr_counter{} : it->second;
}

Result<std::vector<uint64_t>> FakeDatapath::datapath_counters() const { return dp_counters_; }

// As BpfDatapath: the rule's counters and its endpoints' active flows start again from zero.
Result<void> FakeDatapath::reset_service_counters(uint32_t svc_id) {
  XLB_TRY(maybe_fail(Op::reset_service_counters));
  XLB_TRY(check_rule_id(svc_id, max_services_));
  svc_counters_.erase(svc_id);
  std::erase_if(ep_counters_, [&](const auto& kv) { return kv.first.first == svc_id; });
  {
    std::lock_guard lock(ct_mu_);
    std::erase_if(active_flows_, [&](const auto& kv) { return kv.first.first == svc_id; });
  }
  std::erase_if(dsr_counters_, [&](const auto& kv) { return kv.first.first == svc_id; });
  counter_resets_.push_back(svc_id);
  return Ok{};
}

Result<void> FakeDatapath::for_each_flow(const std::function<bool(const CtFlow&)>& fn) const {
  XLB_TRY(maybe_fail(Op::for_each_flow));
  std::lock_guard lock(ct_mu_);
  for (const auto& [key, entry] : flows_) {
    if (!fn(CtFlow{key, entry, false})) return Ok{};
  }
  for (const auto& [key, entry] : syn_flows_) {
    if (!fn(CtFlow{key, entry, true})) return Ok{};
  }
  return Ok{};
}

Result<std::optional<xlb_ct_entry>> FakeDatapath::lookup_flow(const xlb_ct_key& key) const {
  std::lock_guard lock(ct_mu_);
  for (const auto* flows : {&flows_, &syn_flows_}) {
    if (auto it = flows->find(key); it != flows->end())
      return std::optional<xlb_ct_entry>(it->second);
  }
  return std::optional<xlb_ct_entry>{};
}

Result<void> FakeDatapath::delete_flow(const xlb_ct_key& key) {
  std::lock_guard lock(ct_mu_);
  syn_flows_.erase(key);
  flows_.erase(key);  // like the real map: deleting an absent flow leaves the state asked for
  return Ok{};
}

Result<void> FakeDatapath::set_ha_state(uint32_t instance, xlb_ha_state state) {
  XLB_TRY(maybe_fail(Op::set_ha_state));
  XLB_TRY(check_ha_instance(instance));
  ha_states_[instance] = state;
  return Ok{};
}

Result<xlb_ha_state> FakeDatapath::ha_state(uint32_t instance) const {
  XLB_TRY(check_ha_instance(instance));
  auto it = ha_states_.find(instance);
  return it == ha_states_.end() ? XLB_HA_NOT_DEFINED : it->second;
}

Result<void> FakeDatapath::attach(const std::string& ifname) {
  if (!interfaces_.contains(ifname)) {
    return Error{ErrorCode::not_found,
                 "interface " + ifname + " does not exist in this network namespace", "interfaces"};
  }
  attached_.insert(ifname);
  return Ok{};
}

Result<void> FakeDatapath::detach(const std::string& ifname) {
  attached_.erase(ifname);
  return Ok{};
}

std::vector<Attachment> FakeDatapath::attachments() const {
  std::vector<Attachment> out;
  for (const auto& ifname : attached_) out.push_back(interfaces_.at(ifname));
  return out;
}

Result<void> FakeDatapath::set_maglev_table(uint32_t svc_id, uint8_t generation,
                                            const std::vector<uint32_t>& table) {
  XLB_TRY(check_rule_id(svc_id, max_services_));
  XLB_TRY(check_maglev_generation(generation));
  XLB_TRY(check_maglev_table_size(table.size()));
  maglev_[xlb_maglev_key(svc_id, generation)] = table;
  return Ok{};
}

Result<void> FakeDatapath::clear_maglev_table(uint32_t svc_id) {
  XLB_TRY(check_rule_id(svc_id, max_services_));
  for (uint32_t gen = 0; gen < XLB_MAGLEV_GENERATIONS; ++gen)
    maglev_.erase(xlb_maglev_key(svc_id, gen));
  return Ok{};
}

Result<uint32_t> FakeDatapath::active_flows(uint32_t svc_id, uint32_t ep_idx) const {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, max_services_));
  std::lock_guard lock(ct_mu_);
  auto it = active_flows_.find({svc_id, ep_idx});
  return it == active_flows_.end() ? 0u : it->second;
}

Result<void> FakeDatapath::set_active_flows(uint32_t svc_id, uint32_t ep_idx, uint32_t count) {
  XLB_TRY(check_endpoint_slot(svc_id, ep_idx, max_services_));
  std::lock_guard lock(ct_mu_);
  active_flows_[{svc_id, ep_idx}] = count;
  return Ok{};
}

}  // namespace xlb

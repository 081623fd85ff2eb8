// FakeDatapath's conntrack sync: flow events tests inject, synced flows written by the rules
// BpfDatapath follows (datapath/synced_flow.h: the derived reply entry, refresh in place, which
// flows count, which tuples are refused), and the FullNAT source port range.
#include <algorithm>
#include <chrono>
#include <optional>

#include "datapath/fake/fake_datapath.h"
#include "datapath/synced_flow.h"

namespace xlb {

void FakeDatapath::push_flow_event(const FlowEvent& event) {
  {
    std::lock_guard lock(ct_mu_);
    if (!events_on_) return;
    events_.push_back(event);
  }
  events_cv_.notify_all();
}

bool FakeDatapath::flow_events_on() const {
  std::lock_guard lock(ct_mu_);
  return events_on_;
}

Result<void> FakeDatapath::set_flow_events(bool on) {
  std::lock_guard lock(ct_mu_);
  events_on_ = on;
  if (!on) events_.clear();
  return Ok{};
}

Result<size_t> FakeDatapath::poll_flow_events(int timeout_ms,
                                              const std::function<void(const FlowEvent&)>& fn) {
  std::deque<FlowEvent> taken;
  {
    std::unique_lock lock(ct_mu_);
    events_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                        [this] { return !events_.empty(); });
    taken.swap(events_);
  }
  for (const auto& event : taken) fn(event);  // outside the lock: fn may install or look up
  return taken.size();
}

std::map<xlb_ct_key, xlb_ct_entry, BytesLess>* FakeDatapath::ct_map_holding(const xlb_ct_key& key) {
  if (flows_.contains(key)) return &flows_;
  if (syn_flows_.contains(key)) return &syn_flows_;
  return nullptr;
}

void FakeDatapath::add_active_flow(uint32_t svc_id, uint32_t ep_idx, int delta) {
  uint32_t& count = active_flows_[{svc_id, ep_idx}];
  count = delta < 0 && count == 0 ? 0 : count + delta;
}

// The tuple held by another flow: refused, nothing written.
namespace {
Error fake_sync_held_by_other(const char* what) {
  return Error{ErrorCode::already_exists,
               std::string("the synced flow's ") + what + " is held by another flow here", ""};
}
}  // namespace

Result<void> FakeDatapath::install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& in) {
  XLB_TRY(check_synced_flow(key, in, max_services_));
  std::lock_guard lock(ct_mu_);
  auto* local_map = ct_map_holding(key);
  const std::optional<xlb_ct_entry> local =
      local_map ? std::optional<xlb_ct_entry>(local_map->at(key)) : std::nullopt;
  if (local && (local->dir != XLB_DIR_ORIG || !same_translation(*local, in)))
    return fake_sync_held_by_other("client tuple");
  xlb_ct_entry orig = local ? synced_refreshed_entry(*local, in) : synced_new_entry(in);
  const bool was_counted = local && (local->flags & XLB_CT_F_COUNTED);
  const bool counts = synced_flow_counts(orig.state);
  orig.flags =
      static_cast<uint8_t>(counts ? orig.flags | XLB_CT_F_COUNTED : orig.flags & ~XLB_CT_F_COUNTED);
  const bool embryonic = orig.state == XLB_CT_SYN_SENT || orig.state == XLB_CT_SYN_RECV;
  auto& target = embryonic ? syn_flows_ : flows_;
  if (auto reply = synced_reply_entry(key, orig)) {
    xlb_ct_key reply_key{};
    xlb_ct_peer_key(&key, &orig, &reply_key);
    if (auto* held = ct_map_holding(reply_key)) {
      xlb_ct_entry r = held->at(reply_key);
      xlb_ct_key owner{};
      xlb_ct_peer_key(&reply_key, &r, &owner);
      if (r.dir != XLB_DIR_REPLY || std::memcmp(&owner, &key, sizeof key) != 0)
        return fake_sync_held_by_other("reply tuple (FullNAT source port)");
      held->erase(reply_key);
      target[reply_key] = synced_refreshed_reply(r, orig);
    } else {
      target[reply_key] = *reply;
    }
  }
  if (local_map) local_map->erase(key);
  target[key] = orig;
  if (counts != was_counted) add_active_flow(orig.svc_id, orig.ep_idx, counts ? 1 : -1);
  return Ok{};
}

Result<void> FakeDatapath::remove_synced_flow(const xlb_ct_key& key) {
  std::lock_guard lock(ct_mu_);
  auto* map = ct_map_holding(key);
  if (!map || map->at(key).dir != XLB_DIR_ORIG) return Ok{};  // no such flow: nothing to do
  const xlb_ct_entry orig = map->at(key);
  map->erase(key);
  if (orig.mode != XLB_MODE_DSR) {
    // Only the flow's own reply entry: its tuple may since belong to a newer flow.
    xlb_ct_key reply_key{};
    xlb_ct_peer_key(&key, &orig, &reply_key);
    if (auto* held = ct_map_holding(reply_key)) {
      xlb_ct_key owner{};
      xlb_ct_peer_key(&reply_key, &held->at(reply_key), &owner);
      if (held->at(reply_key).dir == XLB_DIR_REPLY && std::memcmp(&owner, &key, sizeof key) == 0)
        held->erase(reply_key);
    }
  }
  if (orig.flags & XLB_CT_F_COUNTED) add_active_flow(orig.svc_id, orig.ep_idx, -1);
  return Ok{};
}

Result<void> FakeDatapath::set_snat_port_range(uint16_t lo, uint16_t hi) {
  XLB_TRY(check_snat_port_range(lo, hi));
  snat_range_ = {lo, hi};
  return Ok{};
}

}  // namespace xlb

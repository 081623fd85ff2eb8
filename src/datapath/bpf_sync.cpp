// BpfDatapath's side of conntrack sync (docs/ha.md): the node settings the BPF program reads
// (events on/off, the FullNAT port range: its .data global xlb_node), the flow-event ring
// buffer, and flows learnt from the HA peer written into both conntrack maps the way the
// datapath writes a flow it starts (src/datapath/synced_flow.h).
#include <bpf/libbpf.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "datapath/bpf_datapath.h"
#include "datapath/map.h"
#include "datapath/synced_flow.h"
#include "xlb_tc.skel.h"

namespace xlb {
namespace {

using CtMap = Map<xlb_ct_key, xlb_ct_entry>;

CtMap sync_ct_map(xlb_tc* s, bool syn) {
  return syn ? CtMap{bpf_map__fd(s->maps.XLB_MAP_CT_SYN_ID), XLB_MAP_CT_SYN}
             : CtMap{bpf_map__fd(s->maps.XLB_MAP_CT_ID), XLB_MAP_CT};
}

// The map a flow in `state` lives in, as the datapath keeps it (bpf/lib/conntrack.h).
bool sync_in_syn_map(uint8_t state) { return state == XLB_CT_SYN_SENT || state == XLB_CT_SYN_RECV; }

// An entry found in either CT map (main first, as the datapath looks), and which.
struct SyncHeld {
  xlb_ct_entry entry;
  bool syn;
};

Result<std::optional<SyncHeld>> sync_find(xlb_tc* s, const xlb_ct_key& key) {
  for (bool syn : {false, true}) {
    auto e = sync_ct_map(s, syn).lookup(key);
    if (!e) return e.error();
    if (*e) return std::optional<SyncHeld>(SyncHeld{**e, syn});
  }
  return std::optional<SyncHeld>();
}

// Whether the entry `r` under `reply_key` is the reply entry of the flow whose orig key is `key`
// (its tuple may belong to another flow, or a newer one).
bool sync_reply_of(const xlb_ct_key& reply_key, const xlb_ct_entry& r, const xlb_ct_key& key) {
  xlb_ct_key owner{};
  xlb_ct_peer_key(&reply_key, &r, &owner);
  return r.dir == XLB_DIR_REPLY && std::memcmp(&owner, &key, sizeof key) == 0;
}

Error sync_held_by_other(const char* what) {
  return Error{ErrorCode::already_exists,
               std::string("the synced flow's ") + what + " is held by another flow of this node",
               "flow"};
}

// The reply entry of synced flow (key, orig) written into the map `syn` names: a present one,
// if it is this flow's, refreshed (and moved there); a new one inserted only if free in both
// maps, as the FullNAT port allocator takes a port (bpf/lib/snat.h), so neither can take the
// other's. DSR has none.
struct SyncReplyWrite {
  xlb_ct_key key{};
  bool added = false;  // inserted now: undone if the orig entry cannot be written
  bool moved = false;  // was in the other map, which must let go of it
};

Result<SyncReplyWrite> sync_write_reply(xlb_tc* s, const xlb_ct_key& key, const xlb_ct_entry& orig,
                                        bool syn) {
  SyncReplyWrite out;
  auto reply = synced_reply_entry(key, orig);
  if (!reply) return out;
  CtMap target = sync_ct_map(s, syn), other = sync_ct_map(s, !syn);
  xlb_ct_peer_key(&key, &orig, &out.key);
  auto held = sync_find(s, out.key);
  if (!held) return held.error();
  if (*held) {
    const xlb_ct_entry& r = (*held)->entry;
    if (!sync_reply_of(out.key, r, key))
      return sync_held_by_other("reply tuple (FullNAT source port)");
    XLB_TRY(target.update(out.key, synced_refreshed_reply(r, orig)));
    out.moved = (*held)->syn != syn;
    return out;
  }
  auto added = target.insert(out.key, *reply);
  if (!added) return added.error();
  auto elsewhere = other.lookup(out.key);
  if (!*added || !elsewhere || *elsewhere) {
    if (*added) (void)target.erase(out.key);
    if (!elsewhere) return elsewhere.error();
    return sync_held_by_other("reply tuple (FullNAT source port)");
  }
  out.added = true;
  return out;
}

std::atomic_ref<uint32_t> node_word(uint32_t& field) { return std::atomic_ref<uint32_t>(field); }

}  // namespace

Result<void> BpfDatapath::set_flow_events(bool on) {
  if (!skel_->data) return Error{ErrorCode::datapath, "the datapath's settings are not mapped", ""};
  node_word(skel_->data->xlb_node.flags)
      .store(on ? XLB_NODE_F_FLOW_EVENTS : 0u, std::memory_order_relaxed);
  return Ok{};
}

Result<void> BpfDatapath::set_snat_port_range(uint16_t lo, uint16_t hi) {
  XLB_TRY(check_snat_port_range(lo, hi));
  if (!skel_->data) return Error{ErrorCode::datapath, "the datapath's settings are not mapped", ""};
  // One store: a flow starting meanwhile sees the old range or the new, never a mix.
  node_word(skel_->data->xlb_node.snat_ports)
      .store(XLB_NODE_SNAT_PORTS(lo, hi), std::memory_order_relaxed);
  return Ok{};
}

int BpfDatapath::on_flow_event(void* self, void* data, size_t size) {
  auto* dp = static_cast<BpfDatapath*>(self);
  xlb_flow_event ev;
  if (size < sizeof ev || !dp->flow_event_fn_) return 0;
  std::memcpy(&ev, data, sizeof ev);
  if (ev.kind != XLB_FLOW_EV_ESTABLISHED && ev.kind != XLB_FLOW_EV_CLOSED) return 0;
  FlowEvent out;
  out.kind = ev.kind == XLB_FLOW_EV_CLOSED ? FlowEvent::Kind::closed : FlowEvent::Kind::established;
  out.key = ev.key;
  out.entry = ev.entry;
  ++dp->flow_events_delivered_;
  (*dp->flow_event_fn_)(out);
  return 0;
}

Result<size_t> BpfDatapath::poll_flow_events(int timeout_ms,
                                             const std::function<void(const FlowEvent&)>& fn) {
  if (!flow_events_) {
    flow_events_ = ring_buffer__new(bpf_map__fd(skel_->maps.XLB_MAP_FLOW_EVENTS_ID),
                                    &BpfDatapath::on_flow_event, this, nullptr);
    if (!flow_events_) return map_error("open ring buffer", XLB_MAP_FLOW_EVENTS, errno);
  }
  flow_event_fn_ = &fn;
  flow_events_delivered_ = 0;
  // What is there already, without waiting; else wait for the first event.
  int rc = ring_buffer__consume(flow_events_);
  if (rc == 0 && timeout_ms != 0) rc = ring_buffer__poll(flow_events_, timeout_ms);
  flow_event_fn_ = nullptr;
  if (rc < 0 && rc != -EINTR) return map_error("poll ring buffer", XLB_MAP_FLOW_EVENTS, -rc);
  return flow_events_delivered_;
}

// Lost races with the datapath (it counts atomically; this is a read and a write) are healed by
// the aging pass's recount of active flows from conntrack.
Result<void> BpfDatapath::step_active_flows(const xlb_ct_entry& orig, int delta) {
  auto count = active_flows(orig.svc_id, orig.ep_idx);
  if (!count) return count.error();
  const uint32_t next = delta > 0 ? *count + 1 : (*count > 0 ? *count - 1 : 0);
  return set_active_flows(orig.svc_id, orig.ep_idx, next);
}

Result<void> BpfDatapath::install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& in) {
  XLB_TRY(check_synced_flow(key, in, options_.max_services));
  auto held = sync_find(skel_, key);
  if (!held) return held.error();
  const std::optional<SyncHeld>& local = *held;
  if (local && (local->entry.dir != XLB_DIR_ORIG || !same_translation(local->entry, in)))
    return sync_held_by_other("client tuple");

  xlb_ct_entry orig = local ? synced_refreshed_entry(local->entry, in) : synced_new_entry(in);
  const bool was_counted = local && (local->entry.flags & XLB_CT_F_COUNTED);
  const bool counts = synced_flow_counts(orig.state);
  orig.flags =
      static_cast<uint8_t>(counts ? orig.flags | XLB_CT_F_COUNTED : orig.flags & ~XLB_CT_F_COUNTED);
  const bool syn = sync_in_syn_map(orig.state);
  CtMap target = sync_ct_map(skel_, syn), other = sync_ct_map(skel_, !syn);
  // The addresses the pre-filter must let through to these entries, before they exist.
  xlb_ct_key reply_key;
  xlb_ct_peer_key(&key, &orig, &reply_key);
  addr_filter_->mark(key.daddr);
  addr_filter_->mark(reply_key.saddr);

  // The reply entry first, as the datapath writes a new flow: an orig entry without its reply
  // would forward into a black hole.
  auto reply = sync_write_reply(skel_, key, orig, syn);
  if (!reply) return reply.error();

  // A new flow's orig entry only where none appeared meanwhile (the datapath may have started
  // the same client tuple since it was looked up).
  Result<bool> written = true;
  if (local) {
    if (auto r = target.update(key, orig); !r) written = r.error();
  } else {
    written = target.insert(key, orig);
  }
  if (!written || !*written) {
    if (reply->added) (void)target.erase(reply->key);
    if (!written) return written.error();
    return sync_held_by_other("client tuple");
  }
  // A flow whose state moved it between the maps leaves the one it was in.
  if (local && local->syn != syn) XLB_TRY(other.erase(key));
  if (reply->moved) XLB_TRY(other.erase(reply->key));
  if (counts != was_counted) XLB_TRY(step_active_flows(orig, counts ? 1 : -1));
  return Ok{};
}

Result<void> BpfDatapath::remove_synced_flow(const xlb_ct_key& key) {
  auto held = sync_find(skel_, key);
  if (!held) return held.error();
  if (!*held || (*held)->entry.dir != XLB_DIR_ORIG) return Ok{};  // no such flow: nothing to do
  const xlb_ct_entry orig = (*held)->entry;
  for (bool syn : {false, true}) XLB_TRY(sync_ct_map(skel_, syn).erase(key));
  if (orig.mode != XLB_MODE_DSR) {
    // Only the flow's own reply entry: its tuple may since belong to a newer flow.
    xlb_ct_key reply_key{};
    xlb_ct_peer_key(&key, &orig, &reply_key);
    auto reply = sync_find(skel_, reply_key);
    if (!reply) return reply.error();
    if (*reply && sync_reply_of(reply_key, (*reply)->entry, key))
      XLB_TRY(sync_ct_map(skel_, (*reply)->syn).erase(reply_key));
  }
  if (orig.flags & XLB_CT_F_COUNTED) return step_active_flows(orig, -1);
  return Ok{};
}

}  // namespace xlb

// The Datapath interface: everything above src/datapath talks to this, never to libbpf, so the
// reconciler, conntrack and health code are unit-tested against FakeDatapath.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/attach_hook.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb {

struct CtFlow {
  xlb_ct_key key;
  xlb_ct_entry entry;
  // Held in the embryonic-flow map (xlb_ct_syn_v1: TCP handshakes under way) rather than the
  // main one. Both are one conntrack to every reader; only capacity reports tell them apart.
  bool syn_map = false;
};

// The read side of conntrack, all that views of the flows need (rows, summary, diagnose). The
// Datapath is one; readers that must not change the datapath (the API) get only this.
class ConntrackReader {
 public:
  virtual ~ConntrackReader() = default;

  // Visit every entry of both CT maps (main, then syn; batched under the hood); return false
  // from fn to stop. lookup_flow looks in both.
  virtual Result<void> for_each_flow(const std::function<bool(const CtFlow&)>& fn) const = 0;
  virtual Result<std::optional<xlb_ct_entry>> lookup_flow(const xlb_ct_key& key) const = 0;

  virtual uint32_t ct_capacity() const = 0;      // main CT map entries (--ct-size)
  virtual uint32_t ct_syn_capacity() const = 0;  // embryonic-flow map entries (--ct-syn-size)
};

class Datapath : public ConntrackReader {
 public:
  // Services (rules). svc.id must be < max_services().
  virtual Result<void> upsert_service(const xlb_svc_key& key, const xlb_svc& svc) = 0;
  virtual Result<void> delete_service(const xlb_svc_key& key) = 0;
  virtual Result<std::vector<std::pair<xlb_svc_key, xlb_svc>>> list_services() const = 0;

  // VIPs answered for ARP and ICMP echo.
  virtual Result<void> upsert_vip(const xlb_ip& vip, const xlb_vip_info& info) = 0;
  virtual Result<void> delete_vip(const xlb_ip& vip) = 0;

  // Per-CPU counters, summed over CPUs.
  virtual Result<xlb_counter> service_counter(uint32_t svc_id) const = 0;
  virtual Result<xlb_counter> endpoint_counter(uint32_t svc_id, uint32_t ep_idx) const = 0;
  // DSR packets the datapath sent to the endpoint, by path (L2 or IPIP): what it did, beside
  // what the control plane predicts (diagnose/dsr_path.h).
  virtual Result<xlb_dsr_counter> dsr_counter(uint32_t svc_id, uint32_t ep_idx) const = 0;
  virtual Result<std::vector<uint64_t>> datapath_counters() const = 0;  // indexed by xlb_dp_stat
  // Zero a rule's counters when its id is (re)assigned, so a new rule never inherits numbers.
  virtual Result<void> reset_service_counters(uint32_t svc_id) = 0;

  // Conntrack (reads: ConntrackReader): delete_flow deletes from both CT maps.
  virtual Result<void> delete_flow(const xlb_ct_key& key) = 0;

  // maglev: one of the rule's two lookup tables (endpoint index per entry; size =
  // xlb_svc.maglev_size), the one xlb_svc.maglev_gen == `generation` uses. Replacing a table of
  // the same size rewrites only the entries that changed. Clearing removes both.
  virtual Result<void> set_maglev_table(uint32_t svc_id, uint8_t generation,
                                        const std::vector<uint32_t>& table) = 0;
  virtual Result<void> clear_maglev_table(uint32_t svc_id) = 0;

  // Active flows per endpoint (lc and metrics). The datapath counts them up and down; the
  // daemon rewrites them from conntrack when it ages entries, so lost updates heal.
  virtual Result<uint32_t> active_flows(uint32_t svc_id, uint32_t ep_idx) const = 0;
  virtual Result<void> set_active_flows(uint32_t svc_id, uint32_t ep_idx, uint32_t count) = 0;

  // HA state of an instance (below XLB_HA_MAX_INSTANCES; XLB_HA_DEFAULT_INSTANCE covers every
  // VIP): only MASTER and NOT_DEFINED answer ARP and ping for the VIPs. A fresh datapath reads
  // NOT_DEFINED; a pinned one keeps its state across an xlbd restart.
  virtual Result<void> set_ha_state(uint32_t instance, xlb_ha_state state) = 0;
  virtual Result<xlb_ha_state> ha_state(uint32_t instance) const = 0;

  // Interfaces the datapath is attached to, and with which hook (attach_hook.h): the hook
  // follows the datapath's AttachRequest, decided per interface.
  virtual Result<void> attach(const std::string& ifname) = 0;
  virtual Result<void> detach(const std::string& ifname) = 0;
  virtual std::vector<Attachment> attachments() const = 0;
  std::vector<std::string> attached() const {
    std::vector<std::string> names;
    for (const auto& a : attachments()) names.push_back(a.ifname);
    return names;
  }

  // Conntrack sync (docs/ha.md). Off by default: with events off the datapath emits nothing and
  // pays one map read per new or closing flow at most.
  struct FlowEvent {
    enum class Kind : uint8_t { established = 1, closed = 2 };
    Kind kind = Kind::established;
    xlb_ct_key key{};      // the orig (client-side) entry's key
    xlb_ct_entry entry{};  // the orig entry as the datapath holds it at the event
  };
  virtual Result<void> set_flow_events(bool on) = 0;
  // Calls fn for each flow event reported since the last call, waiting up to timeout_ms for the
  // first one; returns how many were delivered. Events lost to a full ring are counted in the
  // datapath counter XLB_STAT_FLOW_EVENTS_LOST (datapath_counters()), and healed by the
  // control plane's periodic refresh of live flows (for_each_flow).
  virtual Result<size_t> poll_flow_events(int timeout_ms,
                                          const std::function<void(const FlowEvent&)>& fn) = 0;
  // Writes a flow learned from a peer, already mapped to this node's ids and clock: the orig
  // entry under `key` (its flags carry XLB_CT_F_SYNCED) and, for the modes that have one, the
  // reply entry derived from it as the datapath derives it for a new flow (xlb_ct_reply_entry,
  // keyed xlb_ct_peer_key).
  // A flow already present is refreshed in place (state, flags, last_seen, seq), never
  // duplicated. A new flow in a TCP state that counts (established) is counted in its
  // endpoint's active flows (XLB_CT_F_COUNTED), so lc counts stay right and a later close never
  // drives the count below zero. Fails with already_exists, writing nothing, when the reply
  // tuple (a FullNAT source port) is held by a different local flow.
  virtual Result<void> install_synced_flow(const xlb_ct_key& key, const xlb_ct_entry& orig) = 0;
  // Removes a flow a peer reported closed: both entries, and its active-flow count if counted.
  // Not found is ok.
  virtual Result<void> remove_synced_flow(const xlb_ct_key& key) = 0;
  // FullNAT source ports this node allocates, inclusive; the default is the whole compile-time
  // range. xlbd splits the range by --self when --cluster is given (docs/ha.md), so a split
  // brain never hands out one port twice. lo <= hi, both within the compile-time range.
  virtual Result<void> set_snat_port_range(uint16_t lo, uint16_t hi) = 0;
  virtual uint32_t max_services() const = 0;
};

}  // namespace xlb

// Conntrack sync's translation between this node's conntrack entries and the wire's records
// (sync_records.h), pure: the sender turns an orig entry into a record with ages; the receiver
// maps a record to its own rule id, endpoint index and clock, checked against its own rules.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "cluster/ha_status.h"
#include "cluster/sync_records.h"
#include "common/result.h"

extern "C" {
#include "xlb/abi/xlb.h"
}

namespace xlb::cluster {

// The record for a flow this node holds, or nullopt for what is not synced: reply entries,
// handshakes not yet complete (a retransmitted SYN starts them again on the peer), finished TCP
// flows, other protocols or families.
std::optional<wire::SyncRecord> flow_record(const xlb_ct_key& key, const xlb_ct_entry& orig,
                                            uint64_t now_ns);
// The record saying the flow keyed `key` (its orig entry) closed.
std::optional<wire::SyncRecord> closed_record(const xlb_ct_key& key);
// The orig entry's key a record names.
xlb_ct_key record_key(const wire::SyncRecord& record);

// This node's rules by (VIP, port, protocol), as the datapath holds them.
class RuleIndex {
 public:
  RuleIndex() = default;
  explicit RuleIndex(const std::vector<std::pair<xlb_svc_key, xlb_svc>>& services);
  // The rule for a record's VIP (network order), port (host order) and protocol.
  const xlb_svc* find(uint8_t family, const xlb_ip& vip, uint16_t port, uint8_t proto) const;
  size_t size() const { return rules_.size(); }

 private:
  // (family, the VIP's four words, port, protocol)
  std::map<std::tuple<uint8_t, uint32_t, uint32_t, uint32_t, uint32_t, uint16_t, uint8_t>, xlb_svc>
      rules_;
};

enum class SyncRejectReason { unknown_rule, rule_differs, unknown_endpoint, conflict, datapath };
void count_reject(SyncRejects& rejects, SyncRejectReason reason);

struct MappedFlow {
  xlb_ct_key key;
  xlb_ct_entry orig;
};

// A flow record as this node's orig entry (flags + XLB_CT_F_SYNCED, its rule id and endpoint
// index, timestamps = now_ns minus the ages), or why this node cannot take it.
std::variant<MappedFlow, SyncRejectReason> map_flow_record(const wire::SyncRecord& record,
                                                           const RuleIndex& rules, uint64_t now_ns);

}  // namespace xlb::cluster

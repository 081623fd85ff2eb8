// Conntrack rows for `xlbctl get ct` / GET /api/v1/conntrack: one row per flow (its orig
// entry), with the rule name, state, translation and packets/bytes of both directions.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"

namespace xlb {

struct FlowRow {
  std::string service;   // rule name, or "<vip>:<port>/<proto>"
  std::string dest_ip;   // VIP
  std::string src_ip;    // client
  uint16_t dport = 0;    // VIP port
  uint16_t sport = 0;    // client port
  std::string proto;     // "tcp", "udp", "icmp"
  std::string state;     // "est", "udp-new", ...
  std::string act;       // "dnat-10.0.0.2:8080", "fnat-<client>-><snat>:<port> -> <ep>:<port>"
  uint64_t packets = 0;  // both directions
  uint64_t bytes = 0;
  bool synced = false;  // learned from the HA peer (conntrack sync), not started here

  bool operator==(const FlowRow&) const = default;
};

// Empty fields match everything.
struct FlowFilter {
  std::string service;  // rule name (or "<vip>:<port>/<proto>" for unnamed rules)
  std::string vip;
  std::string client;
};

std::string ct_state_name(uint8_t state);  // "syn-sent", ..., "icmp"; "unknown" otherwise
std::string ct_proto_name(uint8_t proto);  // "tcp", "udp", "icmp", else the number

// The name a row shows for the rule with a datapath id (its name, or "<vip>:<port>/<proto>");
// none when no rule holds the id any more.
using RuleNameOf = std::function<std::optional<std::string>(uint32_t rule_id)>;

// Visits the matching rows in map order as the CT map is walked (batched), holding none of
// them: a million flows stream at constant memory. fn returns false to stop.
Result<void> for_each_flow_row(const ConntrackReader& conntrack, const RuleNameOf& rule_name,
                               const FlowFilter& filter,
                               const std::function<bool(const FlowRow&)>& fn);

// Rows sorted by service, VIP, port, client, client port.
Result<std::vector<FlowRow>> list_flows(const ConntrackReader& conntrack,
                                        const RuleNameOf& rule_name, const FlowFilter& filter = {});

nlohmann::json to_json(const FlowRow& row);

}  // namespace xlb

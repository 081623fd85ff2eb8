// BGP settings of one node (`xlbctl create bgpglobal / bgpneighbor`): this node's AS and router
// id, and the routers it peers with. Per node (router ids differ), kept in the node's state
// directory; JSON as the API and the file use it. Pure data and validation.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace xlb::bgp {

struct BgpGlobal {
  uint32_t local_as = 0;  // 1..4294967295
  std::string router_id;  // dotted quad, unique per node
  bool operator==(const BgpGlobal&) const = default;
};

inline constexpr uint32_t kDefaultHoldTimeS = 9;  // keepalives every third of it

struct BgpNeighbor {
  std::string address;  // the router's IPv4 or IPv6 address (canonical text)
  uint32_t remote_as = 0;
  uint16_t remote_port = 179;
  uint32_t hold_time_s = kDefaultHoldTimeS;  // 3..65535: how soon a lost node is noticed
  std::string password;                      // TCP-MD5 key; empty: none. Never shown back.
  bool operator==(const BgpNeighbor&) const = default;
};

struct BgpConfig {
  std::optional<BgpGlobal> global;
  std::vector<BgpNeighbor> neighbors;  // sorted by address, one per address
  bool operator==(const BgpConfig&) const = default;
  const BgpNeighbor* neighbor(const std::string& address) const;
};

// Strict decoders: unknown fields, wrong types and values out of range are refused with one
// sentence naming the field. Defaults apply to absent optional fields.
Result<BgpGlobal> bgp_global_from_json(const nlohmann::json& j);
Result<BgpNeighbor> bgp_neighbor_from_json(const nlohmann::json& j);
// Without the password (only whether there is one): what GET shows.
nlohmann::json to_json(const BgpGlobal& g);
nlohmann::json to_public_json(const BgpNeighbor& n);
// The whole config with passwords: the state file only (mode 0600).
std::string bgp_config_file_text(const BgpConfig& cfg);
Result<BgpConfig> bgp_config_from_file_text(const std::string& text);

}  // namespace xlb::bgp

// The control channel between xlbd and xlb-proxy: a socketpair xlbd creates and the proxy
// inherits (no address or path anyone else could connect to), carrying length-prefixed JSON
// messages. xlbd sends {"op":"config",...} (rules and limits: applied without dropping a
// connection) and {"op":"stats"}; the proxy answers each.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/result.h"
#include "model/service.h"
#include "proxy/limits.h"

namespace xlb::proxy {

inline constexpr size_t kMaxControlMessage = 64u << 20;

// Blocking; a message is a 4-byte big-endian length, then that much JSON.
Result<void> send_message(int fd, const nlohmann::json& message);
// Error code "closed" (ErrorCode::not_found) when the other end has gone.
Result<nlohmann::json> receive_message(int fd);

struct ProxyConfig {
  Limits limits;
  std::vector<model::Service> rules;  // fullproxy rules, endpoint states with health applied
};

nlohmann::json config_message(const ProxyConfig& config);
// Every rule validated as the API validates it (and fullproxy, and once per key), the limits
// in their bounds: a message that fails is refused whole.
Result<ProxyConfig> config_from_message(const nlohmann::json& message);

}  // namespace xlb::proxy

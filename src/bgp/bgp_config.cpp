#include "bgp/bgp_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/ip.h"
#include "common/quote.h"

namespace xlb::bgp {
namespace {

using nlohmann::json;

Result<void> only_bgp_fields(const json& j, const std::set<std::string>& allowed,
                             const std::string& what) {
  if (!j.is_object()) return invalid(what, what + " must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (allowed.contains(key)) continue;
    std::string names;
    for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
    return invalid(
        key, "unknown field " + xlb::quoted(key) + " in " + what + " (allowed: " + names + ")");
  }
  return Ok{};
}

Result<uint64_t> bgp_number(const json& j, const std::string& field, uint64_t min, uint64_t max) {
  const json& v = j.at(field);
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<uint64_t>() < min ||
      v.get<uint64_t>() > max) {
    return invalid(field, field + " must be an integer from " + std::to_string(min) + " to " +
                              std::to_string(max) + ", got " + v.dump());
  }
  return v.get<uint64_t>();
}

Result<std::string> bgp_ipv4(const json& j, const std::string& field) {
  const json& v = j.at(field);
  if (!v.is_string() || !parse_ipv4(v.get<std::string>())) {
    return invalid(field, field + " must be an IPv4 address such as 10.0.1.1, got " + v.dump());
  }
  return v.get<std::string>();
}

// A neighbour: one IPv4 or IPv6 host, kept in its one canonical form (RFC 5952 for IPv6) so
// that deleting it by any spelling finds it and gobgpd's peer list matches it.
Result<std::string> bgp_neighbor_address(const json& j, const std::string& field) {
  const json& v = j.at(field);
  const auto ip = v.is_string() ? parse_ip(v.get<std::string>()) : std::nullopt;
  if (!ip || !is_host_address(*ip)) {
    return invalid(field, field +
                              " must be an IPv4 or IPv6 address such as 10.0.1.1 or 2001:db8::1 "
                              "(not link-local: a session needs a global address), got " +
                              v.dump());
  }
  return format_ip(*ip);
}

constexpr uint64_t kMaxAs = 4294967295ull;

}  // namespace

const BgpNeighbor* BgpConfig::neighbor(const std::string& address) const {
  for (const auto& n : neighbors)
    if (n.address == address) return &n;
  return nullptr;
}

Result<BgpGlobal> bgp_global_from_json(const json& j) {
  XLB_TRY(only_bgp_fields(j, {"local_as", "router_id"}, "bgp global"));
  for (const char* f : {"local_as", "router_id"})
    if (!j.contains(f)) return invalid(f, std::string(f) + " is required");
  BgpGlobal g;
  auto as = bgp_number(j, "local_as", 1, kMaxAs);
  if (!as) return as.error();
  g.local_as = static_cast<uint32_t>(*as);
  auto id = bgp_ipv4(j, "router_id");
  if (!id) return id.error();
  g.router_id = *id;
  return g;
}

Result<BgpNeighbor> bgp_neighbor_from_json(const json& j) {
  XLB_TRY(only_bgp_fields(j, {"address", "remote_as", "remote_port", "hold_time", "password"},
                          "bgp neighbor"));
  for (const char* f : {"address", "remote_as"})
    if (!j.contains(f)) return invalid(f, std::string(f) + " is required");
  BgpNeighbor n;
  auto address = bgp_neighbor_address(j, "address");
  if (!address) return address.error();
  n.address = *address;
  auto as = bgp_number(j, "remote_as", 1, kMaxAs);
  if (!as) return as.error();
  n.remote_as = static_cast<uint32_t>(*as);
  if (j.contains("remote_port")) {
    auto port = bgp_number(j, "remote_port", 1, 65535);
    if (!port) return port.error();
    n.remote_port = static_cast<uint16_t>(*port);
  }
  if (j.contains("hold_time")) {
    // RFC 4271: 0 (no keepalives) or at least 3 s; 0 would never notice a lost node.
    auto hold = bgp_number(j, "hold_time", 3, 65535);
    if (!hold) return hold.error();
    n.hold_time_s = static_cast<uint32_t>(*hold);
  }
  if (j.contains("password")) {
    const json& p = j.at("password");
    // TCP-MD5 keys are at most 80 bytes (TCP_MD5SIG_MAXKEYLEN); quotes and control characters
    // would not survive gobgpd's configuration file.
    const std::string key = p.is_string() ? p.get<std::string>() : std::string();
    const bool printable =
        !key.empty() && key.size() <= 80 && std::all_of(key.begin(), key.end(), [](char c) {
          return c > ' ' && c < 0x7f && c != '"' && c != '\\';
        });
    if (!printable) {
      return invalid("password",
                     "password must be 1 to 80 printable characters without spaces, quotes or "
                     "backslashes");
    }
    n.password = key;
  }
  return n;
}

json to_json(const BgpGlobal& g) { return {{"local_as", g.local_as}, {"router_id", g.router_id}}; }

json to_public_json(const BgpNeighbor& n) {
  return {{"address", n.address},
          {"remote_as", n.remote_as},
          {"remote_port", n.remote_port},
          {"hold_time", n.hold_time_s},
          {"password_set", !n.password.empty()}};
}

std::string bgp_config_file_text(const BgpConfig& cfg) {
  json j = json::object();
  if (cfg.global) j["global"] = to_json(*cfg.global);
  j["neighbors"] = json::array();
  for (const auto& n : cfg.neighbors) {
    json e = to_public_json(n);
    e.erase("password_set");
    if (!n.password.empty()) e["password"] = n.password;
    j["neighbors"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

Result<BgpConfig> bgp_config_from_file_text(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid("bgp", "not a JSON object");
  XLB_TRY(only_bgp_fields(j, {"global", "neighbors"}, "bgp settings"));
  BgpConfig cfg;
  if (j.contains("global")) {
    auto g = bgp_global_from_json(j.at("global"));
    if (!g) return g.error();
    cfg.global = *g;
  }
  if (j.contains("neighbors")) {
    if (!j.at("neighbors").is_array()) return invalid("neighbors", "neighbors must be a list");
    for (const auto& e : j.at("neighbors")) {
      auto n = bgp_neighbor_from_json(e);
      if (!n) return n.error();
      if (cfg.neighbor(n->address)) return invalid("address", "neighbor " + n->address + " twice");
      cfg.neighbors.push_back(*n);
    }
  }
  return cfg;
}

}  // namespace xlb::bgp

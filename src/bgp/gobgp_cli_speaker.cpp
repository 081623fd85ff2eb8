#include "bgp/gobgp_cli_speaker.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "bgp/program.h"

namespace xlb::bgp {
namespace {

using nlohmann::json;

// gobgp's session_state numbers (the BGP FSM states of RFC 4271).
std::string session_state_name(int state) {
  static const char* const names[] = {"Unknown",  "Idle",        "Connect",    "Active",
                                      "OpenSent", "OpenConfirm", "Established"};
  return state >= 0 && state <= 6 ? names[state] : "Unknown";
}

}  // namespace

GobgpCliSpeaker::GobgpCliSpeaker(std::string host, uint16_t port, GobgpdProcess* own)
    : host_(std::move(host)), port_(port), own_(own) {}

Result<std::string> GobgpCliSpeaker::gobgp(std::vector<std::string> args) {
  args.insert(args.begin(), {"gobgp", "-u", host_, "-p", std::to_string(port_)});
  auto ran = run_program(args, std::chrono::seconds(5));
  if (!ran) return ran.error();
  if (ran->exit_code != 0) {
    std::string why = ran->err.empty() ? ran->out : ran->err;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Error{ErrorCode::unavailable,
                 "gobgpd at " + host_ + ":" + std::to_string(port_) + " refused `" + args[5] + " " +
                     (args.size() > 6 ? args[6] : "") + "`: " + why,
                 ""};
  }
  return ran->out;
}

Result<void> GobgpCliSpeaker::configure(const BgpConfig& cfg) {
  if (!own_) {
    return Error{ErrorCode::conflict,
                 "xlbd uses the gobgpd at " + host_ + ":" + std::to_string(port_) +
                     " (--bgp-api): configure its AS, router id and neighbours in that "
                     "gobgpd's own configuration",
                 ""};
  }
  return own_->apply(cfg);
}

std::vector<std::string> gobgp_rib_args(const std::string& verb, const std::string& prefix,
                                        std::optional<uint32_t> med) {
  // The address family of the prefix: "-a ipv6" for an IPv6 /128 (MP-BGP, RFC 4760).
  const std::string family = prefix.find(':') == std::string::npos ? "ipv4" : "ipv6";
  std::vector<std::string> args = {"global", "rib", verb, prefix, "-a", family};
  if (med) args.insert(args.end(), {"med", std::to_string(*med)});
  return args;
}

Result<void> GobgpCliSpeaker::announce(const std::string& prefix, uint32_t med) {
  auto r = gobgp(gobgp_rib_args("add", prefix, med));
  if (!r) return r.error();
  return Ok{};
}

Result<void> GobgpCliSpeaker::withdraw(const std::string& prefix) {
  auto r = gobgp(gobgp_rib_args("del", prefix, std::nullopt));
  if (!r) return r.error();
  return Ok{};
}

Result<std::vector<BgpPeerState>> GobgpCliSpeaker::peers() {
  auto text = gobgp({"neighbor", "-j"});
  if (!text) return text.error();
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  auto peers = peers_from_gobgp_json(*text, now);
  if (!peers) return peers.error();
  for (auto& p : *peers) {
    if (p.state != "Established") continue;
    if (auto one = gobgp({"neighbor", p.address, "-j"}))
      p.advertised = advertised_from_gobgp_json(*one);
  }
  return peers;
}

Result<std::vector<BgpPeerState>> peers_from_gobgp_json(const std::string& text, uint64_t now_s) {
  // gobgp prints nothing at all when there is no neighbour.
  if (text.find_first_not_of(" \n") == std::string::npos) return std::vector<BgpPeerState>{};
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_null()) return std::vector<BgpPeerState>{};
  if (!j.is_array()) {
    return Error{ErrorCode::unavailable, "gobgp neighbor -j did not print a JSON list", ""};
  }
  std::vector<BgpPeerState> out;
  // value() throws on a field of another type: another gobgp's output, refused as a whole.
  try {
    for (const auto& e : j) {
      BgpPeerState p;
      p.address = e.value("/conf/neighbor_address"_json_pointer, std::string{});
      p.remote_as = e.value("/conf/peer_asn"_json_pointer, 0u);
      p.state = session_state_name(e.value("/state/session_state"_json_pointer, 0));
      if (p.state == "Established") {
        // gobgp reports when the session came up, in seconds since the epoch.
        uint64_t since = e.value("/timers/state/uptime/seconds"_json_pointer, uint64_t{0});
        if (since > 0 && since <= now_s) p.uptime_s = now_s - since;
      }
      out.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    return Error{ErrorCode::unavailable,
                 std::string("gobgp neighbor -j printed an unexpected shape: ") + e.what(), ""};
  }
  return out;
}

uint32_t advertised_from_gobgp_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  uint32_t total = 0;
  if (!j.is_object() || !j.contains("afi_safis") || !j["afi_safis"].is_array()) return 0;
  try {
    for (const auto& af : j["afi_safis"]) total += af.value("/state/advertised"_json_pointer, 0u);
  } catch (const nlohmann::json::exception&) {
    return 0;  // a count of another type: shown as none rather than guessed
  }
  return total;
}

}  // namespace xlb::bgp

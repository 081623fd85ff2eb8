// xlbctl create | get | delete bgpglobal, bgpneighbor (aliases bgpnei, bgpneigh): this node's
// BGP settings and sessions (xlbd --bgp), with loxicmd's flag names.
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/files.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/verbs.h"

namespace xlb::cli {
namespace {

struct BgpNeighborArgs {
  std::string address;
  uint32_t remote_as = 0;
  int remote_port = 0;  // 0: the API's default (179)
  int hold_time = 0;    // 0: the API's default
  std::string password_file;
};

// "1h02m03s"-style uptime for the table.
std::string bgp_uptime_text(const nlohmann::json& seconds) {
  if (!seconds.is_number_unsigned()) return "-";
  uint64_t s = seconds.get<uint64_t>();
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m";
  return out + std::to_string(s % 60) + "s";
}

Result<void> create_bgp_neighbor(ApiClient& api, const BgpNeighborArgs& a, std::ostream& out) {
  nlohmann::json body = {{"address", a.address}, {"remote_as", a.remote_as}};
  if (a.remote_port) body["remote_port"] = a.remote_port;
  if (a.hold_time) body["hold_time"] = a.hold_time;
  if (!a.password_file.empty()) {
    auto text = read_file(a.password_file);  // a password on the command line shows in ps
    if (!text) return text.error();
    std::string key = *text;
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    body["password"] = key;
  }
  auto answer = api.post("/api/v1/bgp/neighbors", body);
  if (!answer) return answer.error();
  out << "bgpneighbor " << a.address << " created\n";
  return Ok{};
}

std::string format_bgp_neighbors(const nlohmann::json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  Table t({"PEER", "AS", "STATE", "UPTIME", "ADVERTISED"});
  for (const auto& n : answer.value("neighbors", nlohmann::json::array())) {
    t.add_row({n.value("address", ""), std::to_string(n.value("remote_as", 0u)),
               n.value("state", ""), bgp_uptime_text(n.value("uptime_seconds", nlohmann::json())),
               std::to_string(n.value("advertised", 0u))});
  }
  return t.render();
}

std::string format_bgp_global(const nlohmann::json& answer, Output output) {
  if (output == Output::json) return format_json(answer);
  std::string routes;
  for (const auto& r : answer.value("announced", nlohmann::json::array()))
    routes += (routes.empty() ? "" : ",") + r.value("prefix", "");
  Table t({"LOCAL AS", "ROUTER ID", "ANNOUNCED"});
  t.add_row({std::to_string(answer.value("local_as", 0u)), answer.value("router_id", ""),
             routes.empty() ? "-" : routes});
  return t.render();
}

}  // namespace

void add_create_bgp(CLI::App* create, Invocation& run) {
  struct GlobalArgs {
    uint32_t local_as = 0;
    std::string router_id;
  };
  auto g = std::make_shared<GlobalArgs>();
  auto* global = create->add_subcommand("bgpglobal", "Set this node's BGP AS and router id");
  global->add_option("--localAS", g->local_as, "This node's AS number")->required();
  global->add_option("--routerID", g->router_id, "This node's router id (an IPv4 address)")
      ->required();
  run_when_chosen(global, run, [g](ApiClient& api) -> Result<void> {
    auto answer =
        api.post("/api/v1/bgp/global", {{"local_as", g->local_as}, {"router_id", g->router_id}});
    if (!answer) return answer.error();
    std::cout << "bgpglobal AS " << g->local_as << " router id " << g->router_id << "\n";
    return Ok{};
  });

  auto n = std::make_shared<BgpNeighborArgs>();
  auto* nei = create->add_subcommand("bgpneighbor", "Peer with a router (it learns the VIPs)");
  nei->alias("bgpnei");
  nei->alias("bgpneigh");
  nei->add_option("IP", n->address, "The router's address")->required();
  nei->add_option("AS", n->remote_as, "The router's AS number")->required();
  nei->add_option("--remotePort", n->remote_port, "The router's BGP port (179)");
  nei->add_option("--holdTime", n->hold_time,
                  "Seconds without a keepalive before the session (and the node's routes) is "
                  "dropped, 3 or more (9)");
  nei->add_option("--password-file", n->password_file,
                  "File holding the TCP-MD5 password the router expects");
  run_when_chosen(nei, run,
                  [n](ApiClient& api) { return create_bgp_neighbor(api, *n, std::cout); });
}

void add_get_bgp(CLI::App* get, Invocation& run) {
  auto gout = std::make_shared<std::string>();
  auto* global = get->add_subcommand("bgpglobal", "Show this node's BGP settings and routes");
  add_output_option(global, *gout, {"json"});
  run_when_chosen(global, run, [gout](ApiClient& api) -> Result<void> {
    auto answer = api.get("/api/v1/bgp/global");
    if (!answer) return answer.error();
    std::cout << format_bgp_global(*answer, output_from(*gout));
    return Ok{};
  });

  auto nout = std::make_shared<std::string>();
  auto* nei = get->add_subcommand("bgpneighbor", "Show the BGP neighbours and their sessions");
  nei->alias("bgpnei");
  nei->alias("bgpneigh");
  add_output_option(nei, *nout, {"json"});
  run_when_chosen(nei, run, [nout](ApiClient& api) -> Result<void> {
    auto answer = api.get("/api/v1/bgp/neighbors");
    if (!answer) return answer.error();
    std::cout << format_bgp_neighbors(*answer, output_from(*nout));
    return Ok{};
  });
}

void add_delete_bgp(CLI::App* del, Invocation& run) {
  auto* global = del->add_subcommand("bgpglobal", "Stop speaking BGP (routes withdrawn)");
  run_when_chosen(global, run, [](ApiClient& api) -> Result<void> {
    if (auto ok = api.del("/api/v1/bgp/global"); !ok) return ok.error();
    std::cout << "bgpglobal deleted\n";
    return Ok{};
  });
  auto address = std::make_shared<std::string>();
  auto* nei = del->add_subcommand("bgpneighbor", "Stop peering with a router");
  nei->alias("bgpnei");
  nei->alias("bgpneigh");
  nei->add_option("IP", *address, "The router's address")->required();
  run_when_chosen(nei, run, [address](ApiClient& api) -> Result<void> {
    if (auto ok = api.del("/api/v1/bgp/neighbors/" + *address); !ok) return ok.error();
    std::cout << "bgpneighbor " << *address << " deleted\n";
    return Ok{};
  });
}

}  // namespace xlb::cli

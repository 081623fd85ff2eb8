// xlbctl: loxicmd's grammar over xlb's REST API. Wiring only: CLI11 → commands.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "cli/commands.h"

namespace {

using namespace xlb;
using namespace xlb::cli;

// Adds "-o" with the allowed values to a `get` subcommand.
void add_output(CLI::App* cmd, std::string& output, std::vector<std::string> allowed) {
  cmd->add_option("-o,--output", output, "Output format")->check(CLI::IsMember(allowed));
}

}  // namespace

int main(int argc, char** argv) {
  std::string server = "127.0.0.1";
  int port = 11111;
  std::function<Result<void>(ApiClient&)> command;

  CLI::App app{"xlbctl: manage xlb load balancers through xlbd's REST API", "xlbctl"};
  app.add_option("-s,--apiserver", server, "xlbd API address")->capture_default_str();
  app.add_option("-p,--port", port, "xlbd API port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("xlbctl: ") + e.what() + "\n";
  });

  // create lb
  CreateLbArgs create_args;
  auto* create = app.add_subcommand("create", "Create (or replace) a rule")->require_subcommand(1);
  auto* create_lb_cmd = create->add_subcommand("lb", "Create load-balancer rules, one per port");
  create_lb_cmd->add_option("VIP", create_args.vip, "Virtual IP")->required();
  create_lb_cmd->add_option("--tcp", create_args.tcp, "<port>:<targetPort>[,...]");
  create_lb_cmd->add_option("--udp", create_args.udp, "<port>:<targetPort>[,...]");
  create_lb_cmd->add_option("--endpoints", create_args.endpoints,
                            "<ip>:<weight>[,<ip>:<weight>...]");
  create_lb_cmd->add_option("--mode", create_args.mode, "default|fullnat|dsr");
  create_lb_cmd->add_option("--select", create_args.select, "rr|hash|priority|persist|lc|maglev");
  create_lb_cmd->add_option("--name", create_args.name, "Rule name");
  create_lb_cmd->add_flag("--monitor", create_args.monitor, "Health-check the endpoints");
  create_lb_cmd->add_option("--inatimeout", create_args.inactive_timeout,
                            "Idle timeout of flows in seconds");
  create_lb_cmd->add_flag("--ppv2en", create_args.ppv2, "Send Proxy Protocol v2 headers");
  create_lb_cmd->add_option("--snat", create_args.snat, "fullnat source addresses <ip>[,<ip>]");
  create_lb_cmd->add_option("--dsr", create_args.dsr, "dsr encapsulation: auto|ipip");
  create_lb_cmd->add_option("--persist-timeout", create_args.persist_timeout,
                            "persist: seconds a client's affinity lasts while idle (300)");
  create_lb_cmd->add_option("--maglev-size", create_args.maglev_size,
                            "maglev: lookup table size, a prime (16381)");
  create_lb_cmd->callback(
      [&] { command = [&](ApiClient& api) { return create_lb(api, create_args, std::cout); }; });

  // delete lb
  std::string delete_vip;
  std::vector<std::string> delete_tcp, delete_udp;
  auto* del = app.add_subcommand("delete", "Delete a rule")->require_subcommand(1);
  auto* delete_lb_cmd = del->add_subcommand("lb", "Delete load-balancer rules");
  delete_lb_cmd->add_option("VIP", delete_vip, "Virtual IP")->required();
  delete_lb_cmd->add_option("--tcp", delete_tcp, "<port>[,...]");
  delete_lb_cmd->add_option("--udp", delete_udp, "<port>[,...]");
  delete_lb_cmd->callback([&] {
    command = [&](ApiClient& api) {
      return delete_lb(api, delete_vip, delete_tcp, delete_udp, std::cout);
    };
  });

  // set ep
  std::string set_ep_ip, set_ep_state;
  auto* set = app.add_subcommand("set", "Change an endpoint")->require_subcommand(1);
  auto* set_ep_cmd = set->add_subcommand("ep", "Set an endpoint's state in every rule listing it");
  set_ep_cmd->add_option("IP", set_ep_ip, "Endpoint IP")->required();
  set_ep_cmd->add_option("--state", set_ep_state, "up|draining|down")
      ->required()
      ->check(CLI::IsMember({"up", "draining", "down"}));
  set_ep_cmd->callback([&] {
    command = [&](ApiClient& api) { return set_ep(api, set_ep_ip, set_ep_state, std::cout); };
  });

  // get lb | ep | ct | stats
  std::string output;
  CtFilter ct_filter;
  auto* get =
      app.add_subcommand("get", "Show rules, endpoints, flows or counters")->require_subcommand(1);
  auto* get_lb_cmd = get->add_subcommand("lb", "List load-balancer rules");
  add_output(get_lb_cmd, output, {"wide", "json"});
  get_lb_cmd->callback([&] {
    command = [&](ApiClient& api) { return get_lb(api, output_from(output), std::cout); };
  });
  auto* get_ep_cmd = get->add_subcommand("ep", "List endpoints of every rule");
  add_output(get_ep_cmd, output, {"wide", "json"});
  get_ep_cmd->callback([&] {
    command = [&](ApiClient& api) { return get_ep(api, output_from(output), std::cout); };
  });
  auto* get_ct_cmd = get->add_subcommand("ct", "List tracked flows");
  get_ct_cmd->add_option("--name", ct_filter.name, "Only flows of this rule name");
  get_ct_cmd->add_option("--vip", ct_filter.vip, "Only flows to this VIP");
  get_ct_cmd->add_option("--client", ct_filter.client, "Only flows from this client IP");
  add_output(get_ct_cmd, output, {"json"});
  get_ct_cmd->callback([&] {
    command = [&](ApiClient& api) {
      return get_ct(api, ct_filter, output_from(output), std::cout);
    };
  });
  auto* get_stats_cmd = get->add_subcommand("stats", "Datapath verdict counters");
  add_output(get_stats_cmd, output, {"json"});
  get_stats_cmd->callback([&] {
    command = [&](ApiClient& api) { return get_stats(api, output_from(output), std::cout); };
  });

  // save / apply
  std::optional<std::string> save_file;
  auto* save_cmd = app.add_subcommand("save", "Write the running configuration");
  save_cmd->add_option("-f,--file", save_file, "File to write atomically (default: stdout)");
  save_cmd->callback(
      [&] { command = [&](ApiClient& api) { return save(api, save_file, std::cout); }; });
  std::string apply_file;
  auto* apply_cmd = app.add_subcommand("apply", "Replace the configuration with a saved one");
  apply_cmd->add_option("-f,--file", apply_file, "Configuration file")->required();
  apply_cmd->callback(
      [&] { command = [&](ApiClient& api) { return apply(api, apply_file, std::cout); }; });

  // Global options are accepted after the subcommands too ("xlbctl get lb -p 8080").
  for (auto* sub : {create, create_lb_cmd, del, delete_lb_cmd, set, set_ep_cmd, get, get_lb_cmd,
                    get_ep_cmd, get_ct_cmd, get_stats_cmd, save_cmd, apply_cmd}) {
    sub->fallthrough();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  ApiClient api(server, port);
  if (auto done = command(api); !done) {
    std::cerr << "xlbctl: " << done.error().message << "\n";
    return 1;
  }
  return 0;
}

// xlbctl: loxicmd's grammar over xlb's REST API. Wiring only: CLI11 → commands.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "cli/commands.h"
#include "cli/diagnose.h"
#include "common/token_file.h"

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
  std::string token_file;
  std::function<Result<void>(ApiClient&)> command;
  int exit_status = 0;  // set by commands whose success has degrees (diagnose)

  CLI::App app{"xlbctl: manage xlb load balancers through xlbd's REST API", "xlbctl"};
  app.add_option("-s,--apiserver", server, "xlbd API address")->capture_default_str();
  app.add_option("-p,--port", port, "xlbd API port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--token-file", token_file,
                 "File with the API token, for an xlbd started with --api-token-file")
      ->envname("XLB_API_TOKEN_FILE");
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
  create_lb_cmd->add_option("--ondown", create_args.on_down,
                            "Flows of an endpoint its health check marks down: keep|reset (keep)");
  create_lb_cmd->add_flag("--failopen", create_args.fail_open,
                          "When every endpoint is health-down, keep selecting among them");
  create_lb_cmd->callback(
      [&] { command = [&](ApiClient& api) { return create_lb(api, create_args, std::cout); }; });

  // create endpoint
  CreateEndpointArgs endpoint_args;
  auto* create_ep_cmd = create->add_subcommand(
      "endpoint", "Give a host its own health check, in every rule that lists it");
  create_ep_cmd->add_option("IP", endpoint_args.ip, "Endpoint (host) IP")->required();
  create_ep_cmd->add_option("--probetype", endpoint_args.probetype, "none|ping|tcp|udp|http|https")
      ->required();
  create_ep_cmd->add_option("--probeport", endpoint_args.probeport,
                            "Port to probe (default: the endpoint's target port in each rule)");
  create_ep_cmd->add_option("--probereq", endpoint_args.probereq,
                            "http(s): path such as /health; udp: payload to send");
  create_ep_cmd
      ->add_option("--proberesp", endpoint_args.proberesp,
                   "http(s): status or range (200, 200-299) and/or body text (give twice for "
                   "both); udp: expected reply text")
      ->allow_extra_args(false);  // one value per --proberesp: the IP is never taken for one
  create_ep_cmd->add_option("--period", endpoint_args.period, "Seconds between probes (5)");
  create_ep_cmd->add_option("--timeout", endpoint_args.timeout, "Seconds per probe (2)");
  create_ep_cmd->add_option("--retries", endpoint_args.retries,
                            "Consecutive failures to mark it down (2)");
  create_ep_cmd->add_option("--rise", endpoint_args.rise,
                            "Consecutive successes to mark it ok again (2)");
  create_ep_cmd->add_option("--name", endpoint_args.name, "Label shown by get ep");
  create_ep_cmd->add_flag("--verify", endpoint_args.verify,
                          "https: verify the certificate (system CA store)");
  create_ep_cmd->callback([&] {
    command = [&](ApiClient& api) { return create_endpoint(api, endpoint_args, std::cout); };
  });

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
  std::string delete_ep_ip;
  auto* delete_ep_cmd =
      del->add_subcommand("endpoint", "Remove a host's own health check (rules' --monitor stays)");
  delete_ep_cmd->add_option("IP", delete_ep_ip, "Endpoint (host) IP")->required();
  delete_ep_cmd->callback([&] {
    command = [&](ApiClient& api) { return delete_endpoint(api, delete_ep_ip, std::cout); };
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
  bool ct_summary = false;
  get_ct_cmd
      ->add_flag("--summary", ct_summary,
                 "Capacity, fill, flows by state and protocol, FullNAT source ports in use")
      ->excludes("--name", "--vip", "--client");
  add_output(get_ct_cmd, output, {"json"});
  get_ct_cmd->callback([&] {
    command = [&](ApiClient& api) {
      if (ct_summary) return get_ct_summary(api, output_from(output), std::cout);
      return get_ct(api, ct_filter, output_from(output), std::cout);
    };
  });
  auto* get_stats_cmd = get->add_subcommand("stats", "Datapath verdict counters");
  add_output(get_stats_cmd, output, {"json"});
  get_stats_cmd->callback([&] {
    command = [&](ApiClient& api) { return get_stats(api, output_from(output), std::cout); };
  });

  // diagnose lb
  DiagnoseArgs diagnose_args;
  std::string diagnose_output;
  auto* diagnose =
      app.add_subcommand("diagnose", "Check the path to a load balancer and explain what is wrong")
          ->require_subcommand(1);
  auto* diagnose_lb_cmd = diagnose->add_subcommand(
      "lb",
      "Check a VIP (and port): rule, reachability, endpoints (probes, refusals), replies in NAT "
      "mode, DSR set-up, conntrack and FullNAT port capacity, drop counters. Prints each "
      "finding with its evidence and fix. Exit status: 0 healthy, 2 a problem found, 1 error.");
  diagnose_lb_cmd->add_option("VIP", diagnose_args.vip, "Virtual IP")->required();
  diagnose_lb_cmd->add_option("--tcp", diagnose_args.tcp, "<port>: only the TCP rule on it");
  diagnose_lb_cmd->add_option("--udp", diagnose_args.udp, "<port>: only the UDP rule on it");
  add_output(diagnose_lb_cmd, diagnose_output, {"json"});
  diagnose_lb_cmd->callback([&] {
    command = [&](ApiClient& api) -> Result<void> {
      auto status = diagnose_lb(api, diagnose_args, output_from(diagnose_output), std::cout);
      if (!status) return status.error();
      exit_status = *status;
      return Ok{};
    };
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
  for (auto* sub : {create, create_lb_cmd, create_ep_cmd, del, delete_lb_cmd, delete_ep_cmd, set,
                    set_ep_cmd, get, get_lb_cmd, get_ep_cmd, get_ct_cmd, get_stats_cmd, save_cmd,
                    apply_cmd, diagnose, diagnose_lb_cmd}) {
    sub->fallthrough();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  ApiClient api(server, port);
  if (!token_file.empty()) {
    auto token = read_token_file(token_file, "token-file", /*require_private=*/false);
    if (!token) {
      std::cerr << "xlbctl: " << token.error().message << "\n";
      return 1;
    }
    api.set_token(*token);
  }
  if (auto done = command(api); !done) {
    std::cerr << "xlbctl: " << done.error().message << "\n";
    return 1;
  }
  return exit_status;
}

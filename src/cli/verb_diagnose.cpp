// xlbctl diagnose lb: the one verb whose success has degrees (exit 2 when it finds a problem).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/diagnose.h"
#include "cli/verbs.h"

namespace xlb::cli {

void add_diagnose_verb(CLI::App& app, Invocation& run) {
  struct DiagnoseFlags {
    DiagnoseArgs args;
    std::string output;
  };
  auto flags = std::make_shared<DiagnoseFlags>();
  auto* diagnose =
      app.add_subcommand("diagnose", "Check the path to a load balancer and explain what is wrong")
          ->require_subcommand(1);
  auto* cmd = diagnose->add_subcommand(
      "lb",
      "Check a VIP (and port): rule, reachability, endpoints (probes, refusals), replies in NAT "
      "mode, DSR set-up, conntrack and FullNAT port capacity, drop counters. Prints each "
      "finding with its evidence and fix. Exit status: 0 healthy, 2 a problem found, 1 error.");
  cmd->add_option("VIP", flags->args.vip, "Virtual IP")->required();
  cmd->add_option("--tcp", flags->args.tcp, "<port>: only the TCP rule on it");
  cmd->add_option("--udp", flags->args.udp, "<port>: only the UDP rule on it");
  add_output_option(cmd, flags->output, {"json"});
  cmd->callback([&run, flags] {
    run.action = [flags](ApiClient& api) {
      return diagnose_lb(api, flags->args, output_from(flags->output), std::cout);
    };
  });
}

}  // namespace xlb::cli

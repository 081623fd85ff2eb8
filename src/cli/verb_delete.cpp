// xlbctl delete lb | endpoint.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/verbs.h"

namespace xlb::cli {
namespace {

struct DeleteLbArgs {
  std::string vip;
  std::vector<std::string> tcp, udp;
  std::string host;  // a fullproxy rule's --host
};

void add_delete_lb(CLI::App* del, Invocation& run) {
  auto args = std::make_shared<DeleteLbArgs>();
  auto* cmd = del->add_subcommand("lb", "Delete load-balancer rules");
  cmd->add_option("VIP", args->vip, "Virtual IP")->required();
  cmd->add_option("--tcp", args->tcp, "<port>[,...]");
  cmd->add_option("--udp", args->udp, "<port>[,...]");
  cmd->add_option("--host", args->host, "fullproxy: the rule of this Host (default: the default)");
  run_when_chosen(cmd, run, [args](ApiClient& api) {
    return delete_lb(api, args->vip, args->tcp, args->udp, std::cout, args->host);
  });
}

void add_delete_endpoint(CLI::App* del, Invocation& run) {
  auto ip = std::make_shared<std::string>();
  auto* cmd =
      del->add_subcommand("endpoint", "Remove a host's own health check (rules' --monitor stays)");
  cmd->add_option("IP", *ip, "Endpoint (host) IP")->required();
  run_when_chosen(cmd, run, [ip](ApiClient& api) { return delete_endpoint(api, *ip, std::cout); });
}

}  // namespace

void add_delete_verb(CLI::App& app, Invocation& run) {
  auto* del = app.add_subcommand("delete", "Delete a rule")->require_subcommand(1);
  add_delete_lb(del, run);
  add_delete_endpoint(del, run);
  add_delete_bgp(del, run);
}

}  // namespace xlb::cli

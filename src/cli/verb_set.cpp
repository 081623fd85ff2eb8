// xlbctl set ep.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/verbs.h"

namespace xlb::cli {

void add_set_verb(CLI::App& app, Invocation& run) {
  struct SetEpArgs {
    std::string ip, state;
  };
  auto args = std::make_shared<SetEpArgs>();
  auto* set = app.add_subcommand("set", "Change an endpoint")->require_subcommand(1);
  auto* cmd = set->add_subcommand("ep", "Set an endpoint's state in every rule listing it");
  cmd->add_option("IP", args->ip, "Endpoint IP")->required();
  cmd->add_option("--state", args->state, "up|draining|down")
      ->required()
      ->check(CLI::IsMember({"up", "draining", "down"}));
  run_when_chosen(cmd, run,
                  [args](ApiClient& api) { return set_ep(api, args->ip, args->state, std::cout); });
}

}  // namespace xlb::cli

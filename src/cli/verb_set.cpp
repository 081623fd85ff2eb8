// xlbctl set ep | ha.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/verbs.h"
#include "model/enum_names.h"

namespace xlb::cli {

void add_set_verb(CLI::App& app, Invocation& run) {
  struct SetEpArgs {
    std::string ip, state;
  };
  auto args = std::make_shared<SetEpArgs>();
  auto* set = app.add_subcommand("set", "Change an endpoint or an HA state")->require_subcommand(1);
  auto* cmd = set->add_subcommand("ep", "Set an endpoint's state in every rule listing it");
  cmd->add_option("IP", args->ip, "Endpoint IP")->required();
  std::vector<std::string> state_names;  // the model's names, so the CLI accepts what the API does
  for (const auto& named : model::kEndpointStateNames) state_names.emplace_back(named.name);
  cmd->add_option("--state", args->state, "up|down|draining")
      ->required()
      ->check(CLI::IsMember(state_names));
  run_when_chosen(cmd, run, [args](ApiClient& api) {
    return set_ep(api, args->ip, *model::parse_endpoint_state(args->state), std::cout);
  });

  struct SetHaArgs {
    std::string instance, state;
  };
  auto ha = std::make_shared<SetHaArgs>();
  auto* ha_cmd =
      set->add_subcommand("ha", "Set this node's HA state (what keepalived's notify script runs)");
  ha_cmd->add_option("INSTANCE", ha->instance, "HA instance (default covers every rule)")
      ->required();
  ha_cmd
      ->add_option("--state", ha->state,
                   "MASTER answers ARP and ping for the VIPs; BACKUP and FAULT do not (all "
                   "forward); NOT_DEFINED: as a lone node")
      ->required()
      ->transform(CLI::IsMember({"MASTER", "BACKUP", "FAULT", "NOT_DEFINED"}, CLI::ignore_case));
  run_when_chosen(ha_cmd, run,
                  [ha](ApiClient& api) { return set_ha(api, ha->instance, ha->state, std::cout); });
}

}  // namespace xlb::cli

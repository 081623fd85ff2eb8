// xlbctl get lb | ep | ct | stats | ha | cluster.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/diagnose.h"
#include "cli/verbs.h"

namespace xlb::cli {
namespace {

// A `get` subcommand that prints one API listing in the -o format.
void add_get_listing(CLI::App* get, Invocation& run, const char* name, const char* description,
                     std::vector<std::string> outputs,
                     Result<void> (*command)(ApiClient&, Output, std::ostream&)) {
  auto output = std::make_shared<std::string>();
  auto* cmd = get->add_subcommand(name, description);
  add_output_option(cmd, *output, std::move(outputs));
  run_when_chosen(cmd, run, [output, command](ApiClient& api) {
    return command(api, output_from(*output), std::cout);
  });
}

void add_get_ct(CLI::App* get, Invocation& run) {
  struct GetCtArgs {
    CtFilter filter;
    bool summary = false;
    std::string output;
  };
  auto args = std::make_shared<GetCtArgs>();
  auto* cmd = get->add_subcommand("ct", "List tracked flows");
  cmd->add_option("--name", args->filter.name, "Only flows of this rule name");
  cmd->add_option("--vip", args->filter.vip, "Only flows to this VIP");
  cmd->add_option("--client", args->filter.client, "Only flows from this client IP");
  cmd->add_flag("--summary", args->summary,
                "Capacity, fill, flows by state and protocol, FullNAT source ports in use")
      ->excludes("--name", "--vip", "--client");
  add_output_option(cmd, args->output, {"json"});
  run_when_chosen(cmd, run, [args](ApiClient& api) {
    if (args->summary) return get_ct_summary(api, output_from(args->output), std::cout);
    return get_ct(api, args->filter, output_from(args->output), std::cout);
  });
}

// get ha [INSTANCE] (alias hastate, as in loxicmd).
void add_get_ha(CLI::App* get, Invocation& run) {
  struct GetHaArgs {
    std::string instance;
    bool ready = false;
    std::string output;
  };
  auto args = std::make_shared<GetHaArgs>();
  auto* cmd = get->add_subcommand("ha", "Show HA states (this node's and its peers')");
  cmd->alias("hastate");
  cmd->add_option("INSTANCE", args->instance, "Only this HA instance (default covers every rule)");
  cmd->add_flag("--ready", args->ready,
                "Exit 0 if the instance may become MASTER now, 1 with the reason if not (for "
                "keepalived's track script)");
  add_output_option(cmd, args->output, {"wide", "json"});
  run_when_chosen(cmd, run, [args](ApiClient& api) {
    if (args->ready) {
      return get_ha_ready(api, args->instance.empty() ? "default" : args->instance, std::cout);
    }
    return get_ha(api, args->instance, output_from(args->output), std::cout);
  });
}

}  // namespace

void add_get_verb(CLI::App& app, Invocation& run) {
  auto* get = app.add_subcommand("get", "Show rules, endpoints, flows, counters or HA states")
                  ->require_subcommand(1);
  add_get_listing(get, run, "lb", "List load-balancer rules", {"wide", "json"}, get_lb);
  add_get_listing(get, run, "ep", "List endpoints of every rule", {"wide", "json"}, get_ep);
  add_get_ct(get, run);
  add_get_listing(get, run, "stats",
                  "Datapath verdict counters, and the hook (tc, xdp) of each interface", {"json"},
                  get_stats);
  add_get_ha(get, run);
  add_get_listing(get, run, "cluster",
                  "Where the rules live (file or etcd), revision applied, live nodes", {"json"},
                  get_cluster);
  add_get_bgp(get, run);
}

}  // namespace xlb::cli

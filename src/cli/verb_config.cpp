// xlbctl save | apply: the whole configuration out of and into xlbd.
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/verbs.h"

namespace xlb::cli {

void add_save_verb(CLI::App& app, Invocation& run) {
  auto file = std::make_shared<std::optional<std::string>>();
  auto* cmd = app.add_subcommand("save", "Write the running configuration");
  cmd->add_option("-f,--file", *file, "File to write atomically (default: stdout)");
  run_when_chosen(cmd, run, [file](ApiClient& api) { return save(api, *file, std::cout); });
}

void add_apply_verb(CLI::App& app, Invocation& run) {
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("apply", "Replace the configuration with a saved one");
  cmd->add_option("-f,--file", *file, "Configuration file")->required();
  run_when_chosen(cmd, run, [file](ApiClient& api) { return apply(api, *file, std::cout); });
}

}  // namespace xlb::cli

#include "cli/verbs.h"

namespace xlb::cli {
namespace {

// Global options are accepted after the subcommands too ("xlbctl get lb -p 8080").
void let_global_options_follow(CLI::App* cmd) {
  for (CLI::App* sub : cmd->get_subcommands({})) {
    sub->fallthrough();
    let_global_options_follow(sub);
  }
}

}  // namespace

CommandAction exits_zero(std::function<Result<void>(ApiClient&)> command) {
  return [command = std::move(command)](ApiClient& api) -> Result<int> {
    if (auto done = command(api); !done) return done.error();
    return 0;
  };
}

void run_when_chosen(CLI::App* cmd, Invocation& run,
                     std::function<Result<void>(ApiClient&)> command) {
  cmd->callback([&run, command = std::move(command)] { run.action = exits_zero(command); });
}

void add_output_option(CLI::App* cmd, std::string& output, std::vector<std::string> allowed) {
  cmd->add_option("-o,--output", output, "Output format")->check(CLI::IsMember(allowed));
}

std::unique_ptr<CLI::App> make_xlbctl(Invocation& run) {
  auto owned = std::make_unique<CLI::App>(
      "xlbctl: manage xlb load balancers through xlbd's REST API", "xlbctl");
  CLI::App& app = *owned;
  app.add_option("-s,--apiserver", run.server, "xlbd API address")->capture_default_str();
  app.add_option("-p,--port", run.port, "xlbd API port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--token-file", run.token_file,
                 "File with the API token, for an xlbd started with --api-token-file")
      ->envname("XLB_API_TOKEN_FILE");
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("xlbctl: ") + e.what() + "\n";
  });

  add_create_verb(app, run);
  add_delete_verb(app, run);
  add_set_verb(app, run);
  add_get_verb(app, run);
  add_diagnose_verb(app, run);
  add_save_verb(app, run);
  add_apply_verb(app, run);
  add_reload_verb(app, run);
  let_global_options_follow(&app);
  return owned;
}

}  // namespace xlb::cli

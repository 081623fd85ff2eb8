// xlbctl: loxicmd's grammar over xlb's REST API. Wiring only: the grammar is in verb_*.cpp,
// what each command does in commands.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/verbs.h"
#include "clidoc/request.h"
#include "common/token_file.h"

int main(int argc, char** argv) {
  using namespace xlb;
  cli::Invocation run;
  auto app = cli::make_xlbctl(run);
  if (auto documented = clidoc::answer_clidoc_request(*app, argc, argv)) return *documented;
  try {
    app->parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app->exit(e);
  }

  cli::ApiClient api(run.server, run.port);
  if (!run.token_file.empty()) {
    auto token = read_token_file(run.token_file, "token-file", /*require_private=*/false);
    if (!token) {
      std::cerr << "xlbctl: " << token.error().message << "\n";
      return 1;
    }
    api.set_token(*token);
  }
  auto status = run.action(api);
  if (!status) {
    std::cerr << "xlbctl: " << status.error().message << "\n";
    return 1;
  }
  return *status;
}

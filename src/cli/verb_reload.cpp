// xlbctl reload certs: xlb-proxy loads every TLS rule's certificate and key again (renewed
// files); connections keep theirs, a file that does not load is refused and its rule keeps the
// certificate it had.
#include <iostream>

#include "cli/verbs.h"

namespace xlb::cli {

void add_reload_verb(CLI::App& app, Invocation& run) {
  auto* reload = app.add_subcommand("reload", "Load files again without dropping connections")
                     ->require_subcommand(1);
  auto* cmd = reload->add_subcommand(
      "certs", "Reload the certificates and keys of TLS rules (new handshakes use them)");
  run_when_chosen(cmd, run, [](ApiClient& api) -> Result<void> {
    auto answer = api.post("/api/v1/tls/reload", nlohmann::json::object());
    if (!answer) return answer.error();
    for (const auto& note : answer->value("warnings", nlohmann::json::array()))
      std::cerr << "warning: " << note.get<std::string>() << "\n";
    std::cout << "certificates reloaded (" << answer->value("reloaded", 0) << " TLS rules)\n";
    return Ok{};
  });
}

}  // namespace xlb::cli

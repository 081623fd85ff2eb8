// xlbd's options for a shared configuration in etcd (--store, --store-prefix, --node-name, TLS
// and authentication), kept apart from the rest of the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "daemon/options.h"

namespace xlb::daemon {

void add_store_options(CLI::App& app, DaemonOptions& o);
// One sentence naming the option and the fix, or empty when the store options hold together.
// Fills the default node name (the host name).
std::string check_store_options(DaemonOptions& o);

}  // namespace xlb::daemon

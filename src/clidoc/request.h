// The documentation request every xlb binary answers, hidden from its --help:
// `<binary> --clidoc=man` prints its manual page and `<binary> --clidoc=bash-completion` its
// completion script, both rendered from the CLI11 grammar the binary parses with, so they
// cannot drift from it. The build writes the installed pages and scripts this way.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace xlb::clidoc {

// When the command line is exactly `<binary> --clidoc=<what>`: prints it and returns the exit
// status. Otherwise returns nothing and the binary parses its command line as usual.
std::optional<int> answer_clidoc_request(const CLI::App& app, int argc, char** argv);

}  // namespace xlb::clidoc

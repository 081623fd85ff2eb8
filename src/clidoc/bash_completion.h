// A bash completion script rendered from a command line's description: subcommands at each
// level, each command's options (and those it takes from its parents), and the values of
// options that accept only a listed few.
#pragma once

#include <string>

#include "clidoc/grammar.h"

namespace xlb::clidoc {

// A script for /usr/share/bash-completion/completions/<name>; bash falls back to file names
// where the grammar lists no values.
std::string render_bash_completion(const CommandDoc& root);

}  // namespace xlb::clidoc

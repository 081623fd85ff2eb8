// A manual page (troff, man macros) rendered from a command line's description.
#pragma once

#include <string>

#include "clidoc/grammar.h"

namespace xlb::clidoc {

struct ManPageInfo {
  int section = 8;
  std::string source;  // footer, "xlb 0.1.0"
  std::string manual = "System Administration";
};

// NAME, SYNOPSIS, DESCRIPTION, OPTIONS and (for a program with subcommands) COMMANDS. Further
// hand-written sections (FILES, SEE ALSO...) may be appended to it as they are.
std::string render_man_page(const CommandDoc& root, const ManPageInfo& info);

}  // namespace xlb::clidoc

// A binary's command line as data, read from the CLI11 grammar it parses with: the one source
// its manual page and bash completion are rendered from (docs/packaging.md).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace xlb::clidoc {

struct OptionDoc {
  std::vector<std::string> names;    // "-s", "--apiserver": short names first
  std::string value;                 // "TEXT", "UINT"; empty for a flag
  std::string constraint;            // CLI11's check, e.g. "UINT in [1 - 3600]"; may be empty
  std::vector<std::string> choices;  // the allowed values, when the check lists them
  std::string default_value;
  std::string env;  // environment variable the option is read from, if any
  std::string description;
  bool required = false;
  bool repeatable = false;  // takes several values (comma-separated or repeated)
};

struct PositionalDoc {
  std::string name;  // "VIP"
  std::string value;
  std::string description;
  bool required = false;
};

struct CommandDoc {
  std::string name;  // the program's name at the root, else the subcommand's
  std::vector<std::string> aliases;
  std::string description;
  std::vector<OptionDoc> options;  // the command's own, --help included
  std::vector<PositionalDoc> positionals;
  std::vector<CommandDoc> subcommands;
  bool requires_subcommand = false;
  bool takes_parent_options = false;  // the parent's options may follow this command's name
};

// Everything `app` accepts, hidden options and subcommands (CLI11 group "") left out.
CommandDoc describe_command_line(const CLI::App& app);

// The walk both renderers share: calls `visit(path, command, inherited)` for every command,
// depth first, the root included. `path` is "xlbctl get lb"; `inherited` holds the ancestors'
// options the command accepts too (through `takes_parent_options`).
using CommandVisitor = std::function<void(const std::string& path, const CommandDoc& command,
                                          const std::vector<const OptionDoc*>& inherited)>;
void for_each_command(const CommandDoc& root, const CommandVisitor& visit);

}  // namespace xlb::clidoc

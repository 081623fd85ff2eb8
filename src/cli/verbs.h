// xlbctl's grammar, one function per verb: each adds its subcommands with their flags, and the
// action a command line that names them runs. main.cpp only wires the verbs together.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "common/result.h"

namespace xlb::cli {

// What a parsed command line runs; its value is xlbctl's exit status when it succeeds.
using CommandAction = std::function<Result<int>(ApiClient&)>;

// A parsed command line: the global options and the chosen subcommand's action.
struct Invocation {
  std::string server = "127.0.0.1";
  int port = 11111;
  std::string token_file;
  CommandAction action;  // set by the chosen subcommand's callback during parsing
};

// An action whose success always exits 0.
CommandAction exits_zero(std::function<Result<void>(ApiClient&)> command);
// When `cmd` is the subcommand parsed, `run` runs `command` (exiting 0 when it succeeds).
void run_when_chosen(CLI::App* cmd, Invocation& run,
                     std::function<Result<void>(ApiClient&)> command);
// "-o,--output" restricted to `allowed`.
void add_output_option(CLI::App* cmd, std::string& output, std::vector<std::string> allowed);

void add_create_verb(CLI::App& app, Invocation& run);    // create lb | endpoint
void add_delete_verb(CLI::App& app, Invocation& run);    // delete lb | endpoint
void add_set_verb(CLI::App& app, Invocation& run);       // set ep | ha
void add_get_verb(CLI::App& app, Invocation& run);       // get lb | ep | ct | stats | ha | cluster
void add_diagnose_verb(CLI::App& app, Invocation& run);  // diagnose lb
void add_save_verb(CLI::App& app, Invocation& run);
// bgpglobal and bgpneighbor under create, get and delete (verb_bgp.cpp).
void add_create_bgp(CLI::App* create, Invocation& run);
void add_get_bgp(CLI::App* get, Invocation& run);
void add_delete_bgp(CLI::App* del, Invocation& run);
void add_apply_verb(CLI::App& app, Invocation& run);
void add_reload_verb(CLI::App& app, Invocation& run);  // reload certs

// The whole grammar: global options, every verb, global options accepted after subcommands.
// Parsing a command line with it fills `run`.
std::unique_ptr<CLI::App> make_xlbctl(Invocation& run);

}  // namespace xlb::cli

// Runs a helper program (the gobgp CLI) and collects its output, or starts a long-lived one
// (gobgpd) in its own session with its output appended to a log file. posix_spawn, not fork:
// xlbd has threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace xlb::bgp {

struct ProgramOutput {
  int exit_code = -1;  // -1: killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) to completion; killed when it outlives `timeout`.
Result<ProgramOutput> run_program(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout);

// Starts argv[0] in a new session (signals to xlbd's terminal do not reach it), stdin from
// /dev/null, stdout and stderr appended to `log_path`. Returns its pid.
Result<pid_t> spawn_daemon(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace xlb::bgp

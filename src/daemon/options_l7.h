// xlbd's --l7-* flags: where xlb-proxy is, how many event loops it runs, and its limits
// (docs/l7.md lists them with their defaults).
#pragma once

#include <string>

#include "common/result.h"
#include "proxy/limits.h"

namespace CLI {
class App;
}

namespace xlb::daemon {

struct L7Options {
  std::string proxy_bin;  // empty: beside xlbd
  unsigned workers = 0;   // 0: one per core
  proxy::Limits limits;
  // The timeouts as given on the command line (seconds), turned into limits by finish().
  double header_timeout_s = 0, keepalive_timeout_s = 0, body_timeout_s = 0, connect_timeout_s = 0,
         response_timeout_s = 0, pool_idle_timeout_s = 0;
};

void add_l7_options(CLI::App& app, L7Options& o);
// After parsing: seconds to milliseconds, then every limit in its bounds (one sentence).
Result<void> finish_l7_options(L7Options& o);

}  // namespace xlb::daemon

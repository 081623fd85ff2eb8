// xlbd: wiring only. Start-up order puts the checks that change nothing first, so a failed
// start leaves the host as it was (and a running datapath keeps forwarding).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>

#include "api/api_server.h"
#include "daemon/aging_loop.h"
#include "daemon/health_wiring.h"
#include "daemon/interfaces.h"
#include "daemon/options.h"
#include "daemon/signals.h"
#include "daemon/state_dir.h"
#include "datapath/bpf_datapath.h"
#include "reconcile/reconciler.h"
#include "store/file_store.h"

namespace {

using namespace xlb;
using namespace xlb::daemon;

// Start-up failures: one sentence naming the cause and the fix, exit 1.
int fail(const Error& error) {
  std::fprintf(stderr, "xlbd: %s\n", error.message.c_str());
  return 1;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("xlbd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

int run_cleanup(const DaemonOptions& o) {
  std::vector<std::string> names = o.interfaces;
  if (names.empty()) {
    auto links = list_links();
    if (!links) return fail(links.error());
    for (const auto& l : *links) names.push_back(l.name);
  }
  if (auto done = BpfDatapath::cleanup(o.bpffs, names); !done) return fail(done.error());
  spdlog::info("detached and removed the pins under {}", o.bpffs);
  return 0;
}

int run_daemon(const DaemonOptions& o) {
  ShutdownSignals signals;  // before any thread exists

  if (!o.interfaces.empty()) {
    if (auto ok = check_interfaces_exist(o.interfaces); !ok) return fail(ok.error());
  }
  if (auto ok = prepare_state_dir(o.state_dir); !ok) return fail(ok.error());

  auto datapath =
      BpfDatapath::open({.pin_dir = o.bpffs, .ct_size = o.ct_size, .max_services = o.max_services});
  if (!datapath) return fail(datapath.error());
  Datapath& dp = **datapath;

  FileStore store(o.state_dir);
  Reconciler reconciler(dp, store);
  if (auto ok = reconciler.restore(); !ok) return fail(ok.error());
  HealthWiring health(reconciler);  // before the API: destroyed after it stops
  if (auto ok = health.start(); !ok) return fail(ok.error());

  InterfaceManager interfaces(dp, o.interfaces);
  api::ApiServer server({reconciler, dp, [&interfaces] { return interfaces.managed(); }});
  if (auto ok = server.bind(o.api_host, o.api_port); !ok) return fail(ok.error());
  if (auto ok = interfaces.start(); !ok) return fail(ok.error());
  AgingLoop aging(dp, reconciler, o.ct_gc_interval_s);
  aging.start();

  signals.start([&server](int signo) {
    spdlog::info("received {}, stopping the API", signo == SIGINT ? "SIGINT" : "SIGTERM");
    server.stop();
  });
  spdlog::info("serving the API on {}:{}, {} rules restored", o.api_host, o.api_port,
               reconciler.config().services.size());
  server.serve();

  aging.stop();
  interfaces.stop();
  spdlog::info(
      "stopped; the datapath stays attached and its maps pinned under {} "
      "(xlbd --cleanup removes them)",
      o.bpffs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  const auto& options = std::get<DaemonOptions>(parsed);
  setup_logging(options.log_level);
  return options.cleanup ? run_cleanup(options) : run_daemon(options);
}

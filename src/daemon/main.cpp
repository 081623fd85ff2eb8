// xlbd: wiring only. Start-up order puts the checks that change nothing first, so a failed
// start leaves the host as it was (and a running datapath keeps forwarding).
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "api/api_server.h"
#include "common/token_file.h"
#include "daemon/aging_loop.h"
#include "daemon/bgp_wiring.h"
#include "daemon/capabilities.h"
#include "daemon/ha_wiring.h"
#include "daemon/health_wiring.h"
#include "daemon/interfaces.h"
#include "daemon/options.h"
#include "daemon/proxy_route.h"
#include "daemon/proxy_supervisor.h"
#include "daemon/rst_socket.h"
#include "daemon/service_notify.h"
#include "daemon/shared_store.h"
#include "daemon/signals.h"
#include "daemon/state_dir.h"
#include "datapath/bpf_datapath.h"
#include "logging/journal.h"
#include "logging/json_formatter.h"
#include "metrics/live_metrics.h"
#include "proxy/tls_context.h"
#include "reconcile/reconciler.h"
#include "status/live_status.h"
#include "store/file_store.h"

namespace {

using namespace xlb;
using namespace xlb::daemon;

// Start-up failures: one sentence naming the cause and the fix, exit 1.
int fail(const Error& error) {
  std::fprintf(stderr, "xlbd: %s\n", error.message.c_str());
  return 1;
}

// Logs go to stderr (text or JSON lines) and through `error_counter`, which counts errors for
// /metrics. Into the journal, each line carries its priority and the text no time of its own.
void setup_logging(const DaemonOptions& o, spdlog::sink_ptr error_counter) {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  const bool journal = logging::stderr_is_journal();
  std::unique_ptr<spdlog::formatter> formatter;
  if (o.log_format == "json") {
    formatter = std::make_unique<logging::JsonFormatter>();
  } else {
    formatter = std::make_unique<spdlog::pattern_formatter>(
        journal ? "%l %v" : "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  if (journal) formatter = logging::with_journal_priority(std::move(formatter));
  console->set_formatter(std::move(formatter));
  auto logger = std::make_shared<spdlog::logger>(
      "xlbd", spdlog::sinks_init_list{std::move(console), std::move(error_counter)});
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(o.log_level));
}

int run_cleanup(const DaemonOptions& o) {
  std::vector<std::string> names = o.interfaces;
  if (names.empty()) {
    auto links = list_links();
    if (!links) return fail(links.error());
    for (const auto& l : *links) names.push_back(l.name);
  }
  if (auto done = BpfDatapath::cleanup(o.bpffs, names); !done) return fail(done.error());
  remove_proxy_route();
  spdlog::info("detached and removed the pins under {}", o.bpffs);
  return 0;
}

int run_daemon(const DaemonOptions& o, metrics::LiveMetrics& live_metrics) {
  ShutdownSignals signals;  // before any thread exists

  if (auto ok = check_datapath_capabilities(effective_capabilities()); !ok) return fail(ok.error());
  if (!o.interfaces.empty()) {
    if (auto ok = check_interfaces_exist(o.interfaces); !ok) return fail(ok.error());
  }
  if (auto ok = prepare_state_dir(o.state_dir); !ok) return fail(ok.error());
  std::string api_token;  // never logged
  if (!o.api_token_file.empty()) {
    auto token = read_token_file(o.api_token_file, "api-token-file", /*require_private=*/true);
    if (!token) return fail(token.error());
    api_token = std::move(*token);
  }

  // --store=etcd://: the shared configuration; else the file store in --state-dir. First, so
  // a refused start (a live node holds --node-name) touches no datapath.
  std::unique_ptr<SharedStore> shared;
  if (!o.store.empty()) {
    auto opened = SharedStore::open(o);
    if (!opened) return fail(opened.error());
    shared = std::move(*opened);
    if (auto ok = shared->join(); !ok) return fail(ok.error());
    if (o.store_import) {
      if (auto ok = shared->import_file_store(o.state_dir); !ok) return fail(ok.error());
    }
  }

  auto datapath = BpfDatapath::open({.pin_dir = o.bpffs,
                                     .ct_size = o.ct_size,
                                     .ct_syn_size = o.ct_syn_size,
                                     .max_services = o.max_services,
                                     .attach = o.attach,
                                     .tc_link = o.tc_attach});
  if (!datapath) return fail(datapath.error());
  Datapath& dp = **datapath;
  FileStore file_store(o.state_dir);
  Store& store = shared ? shared->store() : static_cast<Store&>(file_store);
  Reconciler reconciler(dp, store);
  if (auto ok = reconciler.restore(); !ok) return fail(ok.error());
  // Before the health threads: they push health to the proxy through the reconciler's hook.
  ProxySupervisor l7_proxy(
      **datapath, {.binary = o.l7.proxy_bin, .workers = o.l7.workers, .limits = o.l7.limits});
  reconciler.set_on_l7_change(
      [&l7_proxy](std::vector<model::Service> rules) { l7_proxy.update(std::move(rules)); });
  // An https rule's certificate and key must load (the key owner-only) before it is accepted.
  reconciler.set_rule_file_check(proxy::check_rule_tls_files);
  l7_proxy.update(reconciler.l7_rules());
  // Stops the watch and leaves the cluster before the reconciler goes, on every way out.
  struct SharedStop {
    SharedStore* shared;
    ~SharedStop() {
      if (shared) shared->stop();
    }
  } shared_stop{shared.get()};
  if (shared) {
    if (auto ok = shared->start(reconciler); !ok) return fail(ok.error());
  }
  const FixedStoreStatus file_status(StoreStatus{.kind = "file", .location = o.state_dir});
  const StoreStatusSource& store_status =
      shared ? shared->status() : static_cast<const StoreStatusSource&>(file_status);
  // Before the API: destroyed after it stops.
  HealthWiring health(reconciler,
                      [&live_metrics](const std::string& id, const health::ProbeResult& r) {
                        std::optional<double> seconds;
                        if (r.latency) seconds = std::chrono::duration<double>(*r.latency).count();
                        live_metrics.observe_probe(id, r.up, seconds);
                      });
  if (auto ok = health.start(); !ok) return fail(ok.error());

  std::optional<RstSocket> rst;
  if (o.ct_expiry_rst) {
    auto opened = RstSocket::open();
    if (!opened) return fail(opened.error());
    rst.emplace(std::move(*opened));
  }
  CtSummaryCache ct_summaries;

  InterfaceManager interfaces(dp, o.interfaces);
  LiveStatus status(
      reconciler, dp, ct_summaries, [&interfaces] { return interfaces.managed(); }, o.attach,
      [&interfaces] { return interfaces.attachments(); });
  // Before the API (which drives it); gratuitous ARPs go out where the datapath answers ARP.
  auto ha = HaWiring::start(o, dp, reconciler, [&interfaces] { return interfaces.managed(); });
  if (!ha) return fail(ha.error());
  auto bgp = BgpWiring::start(o, reconciler, (*ha)->controller());
  if (!bgp) return fail(bgp.error());
  api::ApiServer server({.reconciler = reconciler,
                         .status = status,
                         .ha = (*ha)->controller(),
                         .live_metrics = &live_metrics,
                         .l7_status = [&l7_proxy] { return l7_proxy.status(); },
                         .l7_reload_tls = [&l7_proxy] { return l7_proxy.reload_tls(); },
                         .store_status = &store_status,
                         .bgp = *bgp ? &(*bgp)->controller() : nullptr});
  server.require_token(std::move(api_token));
  if (auto ok = server.bind(o.api_host, o.api_port); !ok) return fail(ok.error());
  if (auto ok = interfaces.start(); !ok) return fail(ok.error());
  AgingLoop aging(dp, reconciler, o.ct_gc_interval_s, ct_summaries, rst ? &*rst : nullptr);
  aging.start();

  signals.start([&server](int signo) {
    spdlog::info("received {}, stopping the API", signo == SIGINT ? "SIGINT" : "SIGTERM");
    notify_service_stopping();
    server.stop();
  });
  spdlog::info("serving the API on {}:{} ({}), {} rules restored", o.api_host, o.api_port,
               o.api_token_file.empty() ? "no token" : "token required",
               reconciler.config().services.size());
  // The API is listening (connections queue until serve() accepts them) and the datapath is
  // attached: a Type=notify unit's start has succeeded.
  notify_service_ready("serving the API on " + o.api_host + ":" + std::to_string(o.api_port));
  server.serve();

  aging.stop();
  if (*bgp) (*bgp)->stop();  // withdraws first: routers move the flows before anything else stops
  (*ha)->stop();
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
  metrics::LiveMetrics live_metrics;  // counts error-level log events from the start
  setup_logging(options, live_metrics.error_sink());
  return options.cleanup ? run_cleanup(options) : run_daemon(options, live_metrics);
}

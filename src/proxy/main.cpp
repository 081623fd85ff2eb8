// xlb-proxy: the L7 (fullproxy) engine. Started and supervised by xlbd, which passes it the
// control channel (a socketpair end) and one listening socket per worker (a reuseport group
// xlb_steer sends fullproxy VIP:ports to), then pushes rules, health and limits over the
// channel. One event loop per core; a crash here never touches xlbd or the L4 datapath.
//
//   xlb-proxy --control-fd=3 --listen-fd=4 --listen-fd=5        (as xlbd starts it)
//   xlb-proxy --config=FILE --listen=127.0.0.1:8080 [--workers=2]  (standalone, for tests;
//                                                   or --listen=[::1]:8080)
#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "clidoc/request.h"
#include "proxy/config_applier.h"
#include "proxy/control.h"
#include "proxy/runtime.h"
#include "proxy/socket_address.h"
#include "proxy/worker.h"

namespace {

using namespace xlb;
using namespace xlb::proxy;

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload_tls{false};

void on_stop_signal(int) { g_stop.store(true); }
void on_reload_signal(int) { g_reload_tls.store(true); }

struct ProxyOptions {
  int control_fd = -1;
  std::vector<int> listen_fds;
  std::string config_file;
  std::string listen;  // standalone: IP:PORT
  unsigned workers = 0;
};

// Standalone mode's listeners: `workers` sockets of one reuseport group on ip:port
// ("10.0.0.1:8080" or "[2001:db8::1]:8080").
std::vector<int> open_listeners(const std::string& ip_port, unsigned workers) {
  std::vector<int> fds;
  const auto address = parse_socket_address(ip_port);
  if (!address) return fds;
  sockaddr_storage sa{};
  const socklen_t sa_len = to_sockaddr(*address, sa);
  for (unsigned i = 0; i < workers; ++i) {
    const int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sa_len) != 0 || listen(fd, 4096) != 0) {
      close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

// One line per file that did not load (its rule keeps what it had) and per loud setting.
void log_tls_report(const TlsLoadReport& report) {
  for (const auto& why : report.errors) spdlog::error("xlb-proxy: TLS rule {}", why);
  for (const auto& note : report.warnings) spdlog::warn("xlb-proxy: TLS rule {}", note);
}

nlohmann::json tls_report_json(const TlsLoadReport& report) {
  return {{"ok", report.errors.empty()},
          {"loaded", report.loaded},
          {"errors", report.errors},
          {"warnings", report.warnings}};
}

Result<void> apply_config(const nlohmann::json& message, ConfigApplier& applier) {
  auto report = applier.apply(message);
  if (!report) return report.error();
  log_tls_report(*report);
  spdlog::info("xlb-proxy: configuration with {} rules applied", report->rules);
  return Ok{};
}

// The control channel: until xlbd closes it (then the proxy exits: it serves only xlbd).
void serve_control(int fd, ConfigApplier& applier, const ConfigStore& store,
                   StatsRegistry& registry) {
  while (!g_stop.load()) {
    auto message = receive_message(fd);
    if (!message) {
      if (message.error().code != ErrorCode::not_found)
        spdlog::error("xlb-proxy: {}", message.error().message);
      return;
    }
    const std::string op = message->value("op", "");
    nlohmann::json reply = {{"op", op}};
    if (op == "config") {
      auto done = apply_config(*message, applier);
      reply["ok"] = done.ok();
      if (!done) {
        reply["error"] = done.error().message;
        spdlog::error("xlb-proxy: configuration refused: {}", done.error().message);
      }
    } else if (op == "reload_tls") {
      const TlsLoadReport report = applier.reload_tls();
      log_tls_report(report);
      spdlog::info("xlb-proxy: certificates reloaded ({} TLS rules)", report.loaded);
      reply.update(tls_report_json(report));
    } else if (op == "stats") {
      auto current = store.current();
      std::vector<std::string> keys;
      for (const auto& r : current->rules) keys.push_back(r.key);
      reply["stats"] = registry.snapshot(keys, current->certificates());
    } else {
      reply["error"] = "unknown op";
    }
    if (!send_message(fd, reply)) return;
  }
}

// Certificates are reloaded on SIGHUP (all of them) and when a TLS file changes on disk
// (polled once a second: a renewal tool's rename or rewrite alike).
void watch_tls_files(ConfigApplier& applier) {
  int ticks = 0;
  while (!g_stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_reload_tls.exchange(false)) {
      const TlsLoadReport report = applier.reload_tls();
      log_tls_report(report);
      spdlog::info("xlb-proxy: SIGHUP: certificates reloaded ({} TLS rules)", report.loaded);
      continue;
    }
    if (++ticks % 10 != 0) continue;
    if (auto report = applier.reload_changed_tls()) {
      log_tls_report(*report);
      spdlog::info("xlb-proxy: TLS files changed: {} TLS rules reloaded", report->loaded);
    }
  }
}

void pin_to_core(std::thread& t, unsigned index) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(index % cores, &set);
  pthread_setaffinity_np(t.native_handle(), sizeof set, &set);
}

}  // namespace

int main(int argc, char** argv) {
  ProxyOptions o;
  CLI::App app{"xlb-proxy: the L7 engine of xlb (started by xlbd)", "xlb-proxy"};
  app.add_option("--control-fd", o.control_fd, "Control channel from xlbd (inherited)");
  app.add_option("--listen-fd", o.listen_fds, "Listening socket of one worker (inherited)");
  app.add_option("--config", o.config_file, "Standalone: a config message in a file");
  app.add_option("--listen", o.listen, "Standalone: IP:PORT or [IPv6]:PORT to listen on");
  app.add_option("--workers", o.workers, "Standalone: event loops (default: one per core)");
  if (auto documented = xlb::clidoc::answer_clidoc_request(app, argc, argv)) return *documented;
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("xlb-proxy");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGHUP, on_reload_signal);

  ConfigStore store;
  StatsRegistry registry;
  ConfigApplier applier(store, registry);
  if (!o.config_file.empty()) {
    std::ifstream in(o.config_file);
    std::stringstream text;
    text << in.rdbuf();
    auto message = nlohmann::json::parse(text.str(), nullptr, false);
    if (auto done = apply_config(message, applier); !done) {
      std::fprintf(stderr, "xlb-proxy: %s\n", done.error().message.c_str());
      return 1;
    }
  }
  if (!o.listen.empty()) {
    const unsigned n = o.workers ? o.workers : std::max(1u, std::thread::hardware_concurrency());
    o.listen_fds = open_listeners(o.listen, n);
    if (o.listen_fds.size() != n) {
      std::fprintf(stderr, "xlb-proxy: cannot listen on %s\n", o.listen.c_str());
      return 1;
    }
  }
  if (o.listen_fds.empty()) {
    std::fprintf(stderr, "xlb-proxy: no listener: it is started by xlbd (see docs/l7.md)\n");
    return 1;
  }

  std::atomic<uint32_t> connections{0};
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (int fd : o.listen_fds)
    workers.push_back(std::make_unique<Worker>(fd, store, registry, connections));
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&w = *workers[i]] { w.run(g_stop); });
    pin_to_core(threads.back(), static_cast<unsigned>(i));
  }
  spdlog::info("xlb-proxy: serving with {} event loops", workers.size());
  threads.emplace_back([&applier] { watch_tls_files(applier); });
  if (o.control_fd >= 0) {
    serve_control(o.control_fd, applier, store, registry);
    g_stop.store(true);  // xlbd is gone or closed the channel: the proxy goes with it
  } else {
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& t : threads) t.join();
  return 0;
}

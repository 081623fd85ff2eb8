#include "bgp/gobgpd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bgp/gobgpd_config.h"
#include "bgp/program.h"
#include "common/file_io.h"

namespace xlb::bgp {
namespace {

using namespace std::chrono_literals;

std::string slurp_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A gobgpd started with this configuration file, alive.
bool is_our_gobgpd(pid_t pid, const std::string& config_path) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  std::string cmdline = slurp_text("/proc/" + std::to_string(pid) + "/cmdline");
  return cmdline.find("gobgpd") != std::string::npos &&
         cmdline.find(config_path) != std::string::npos;
}

bool wait_exit(pid_t pid, bool child, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (child ? waitpid(pid, nullptr, WNOHANG) == pid : kill(pid, 0) != 0) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// Log files grow with every session change; one old generation is kept.
void rotate_log(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > (16u << 20) && !ec)
    std::filesystem::rename(path, path + ".1", ec);
}

}  // namespace

GobgpdProcess::GobgpdProcess(GobgpdOptions options) : options_(std::move(options)) {}

GobgpdProcess::~GobgpdProcess() { stop(false); }

pid_t GobgpdProcess::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

Result<void> GobgpdProcess::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec || ::chmod(options_.dir.c_str(), 0700) != 0) {
    return Error{ErrorCode::io, "cannot create " + options_.dir + " for gobgpd", ""};
  }
  {
    std::lock_guard lock(mu_);
    std::string pid_text = slurp_text(options_.dir + "/gobgpd.pid");
    pid_t old = static_cast<pid_t>(std::atol(pid_text.c_str()));
    if (is_our_gobgpd(old, config_path())) {
      pid_ = old;
      child_ = false;
      running_text_ = slurp_text(config_path());
      spdlog::info("bgp: adopted the running gobgpd (pid {}) and its sessions", old);
    }
  }
  watcher_ = std::thread([this] { watch(); });
  return Ok{};
}

Result<void> GobgpdProcess::apply(const BgpConfig& cfg) {
  std::unique_lock lock(mu_);
  const std::string text = gobgpd_config_text(cfg);
  BgpConfig global_only{cfg.global, {}};
  const std::string global_text = gobgpd_config_text(global_only);
  if (text.empty()) {  // no global: nothing to speak for
    terminate();
    running_text_.clear();
    running_global_.clear();
    return Ok{};
  }
  if (pid_ > 0 && text == running_text_) {  // unchanged, or adopted with this very file
    running_global_ = global_text;
    return Ok{};
  }
  XLB_TRY(replace_file(config_path(), text, 0600));
  if (pid_ > 0 && global_text == running_global_) {
    kill(pid_, SIGHUP);  // gobgpd re-reads its neighbours; the other sessions stay up
    running_text_ = text;
    return Ok{};
  }
  terminate();
  running_text_ = text;
  running_global_ = global_text;
  XLB_TRY(launch());
  lock.unlock();
  return wait_for_api();
}

Result<void> GobgpdProcess::launch() {
  rotate_log(log_path());
  auto pid = spawn_daemon(
      {options_.program, "-f", config_path(), "-p", "--log-level=info",
       "--api-hosts=127.0.0.1:" + std::to_string(options_.api_port), "--pprof-disable"},
      log_path());
  if (!pid) return pid.error();
  pid_ = *pid;
  child_ = true;
  ++epoch_;
  XLB_TRY(replace_file(options_.dir + "/gobgpd.pid", std::to_string(pid_) + "\n", 0600));
  spdlog::info("bgp: started gobgpd (pid {}), API 127.0.0.1:{}, log {}", pid_, options_.api_port,
               log_path());
  return Ok{};
}

void GobgpdProcess::terminate() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);  // gobgpd closes its sessions with a Cease: routers withdraw at once
  if (!wait_exit(pid_, child_, 3s)) {
    kill(pid_, SIGKILL);
    wait_exit(pid_, child_, 1s);
  }
  spdlog::info("bgp: stopped gobgpd (pid {})", pid_);
  pid_ = -1;
  ::unlink((options_.dir + "/gobgpd.pid").c_str());
}

Result<void> GobgpdProcess::wait_for_api() {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(options_.api_port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool up = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (fd >= 0) close(fd);
    if (up) return Ok{};
    std::this_thread::sleep_for(50ms);
  }
  return Error{ErrorCode::unavailable,
               "gobgpd did not open its API on 127.0.0.1:" + std::to_string(options_.api_port) +
                   " within 5 s; see " + log_path(),
               ""};
}

void GobgpdProcess::watch() {
  std::unique_lock lock(mu_);
  auto backoff = 500ms;
  while (!stopping_) {
    wake_.wait_for(lock, 200ms);
    if (stopping_ || pid_ <= 0) continue;
    int status = 0;
    bool gone = child_ ? waitpid(pid_, &status, WNOHANG) == pid_ : kill(pid_, 0) != 0;
    if (!gone) {
      backoff = 500ms;
      continue;
    }
    // An adopted gobgpd is not our child: how it ended is not ours to know.
    std::string how = !child_ ? "exited"
                      : WIFSIGNALED(status)
                          ? "exited (signal " + std::to_string(WTERMSIG(status)) + ")"
                          : "exited (status " + std::to_string(WEXITSTATUS(status)) + ")";
    spdlog::error("bgp: gobgpd (pid {}) {}; restarting it in {} ms, see {}", pid_, how,
                  backoff.count(), log_path());
    pid_ = -1;
    wake_.wait_for(lock, backoff);
    if (stopping_) break;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    if (auto r = launch(); !r) spdlog::error("bgp: {}", r.error().message);
  }
}

void GobgpdProcess::stop(bool keep_running) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard lock(mu_);
  if (keep_running && pid_ > 0) {
    spdlog::info("bgp: leaving gobgpd (pid {}) running with its routes (--bgp-keep-on-exit)", pid_);
    return;
  }
  terminate();
}

}  // namespace xlb::bgp

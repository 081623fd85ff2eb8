#include "daemon/proxy_supervisor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "daemon/proxy_route.h"
#include "datapath/bpf_datapath.h"
#include "datapath/proxy_steering.h"
#include "proxy/control.h"

extern char** environ;

namespace xlb::daemon {
namespace {

using SupervisorClock = std::chrono::steady_clock;

constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(5);
constexpr auto kHealthyRun = std::chrono::seconds(10);  // a run this long resets the backoff
constexpr int kControlTimeoutS = 2;                     // one answer of the proxy, at most

Error system_error(const std::string& what) {
  return Error{ErrorCode::system, what + ": " + std::strerror(errno), ""};
}

// xlb-proxy beside xlbd (installed), else where this build put it.
std::string default_proxy_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto sibling = self.parent_path() / "xlb-proxy";
    if (std::filesystem::exists(sibling, ec)) return sibling;
  }
#ifdef XLB_PROXY_BUILD_PATH
  return XLB_PROXY_BUILD_PATH;
#else
  return "xlb-proxy";
#endif
}

// One listener of the reuseport group: a dual-stack IPv6 socket bound to 127.0.0.1:port as
// ::ffff:127.0.0.1 (0: any port), so xlb_steer may hand it connections to IPv4 and IPv6 VIPs
// alike (the kernel refuses an IPv4 socket for an IPv6 lookup) while the only address it answers
// on its own is IPv4 loopback (binding ::1 would make it IPv6-only; :: would open it on every
// address of the host). A kernel booted without IPv6 gets an IPv4 socket on 127.0.0.1 (it has
// no IPv6 VIPs to serve). IP(V6)_TRANSPARENT so the connections may carry the VIP as their local
// address.
Result<int> open_proxy_listener(uint16_t port) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const bool dual_stack = fd >= 0;
  if (!dual_stack && errno == EAFNOSUPPORT)
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return system_error("cannot create the proxy's listener");
  const int one = 1, zero = 0;
  if (dual_stack && setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0) {
    close(fd);
    return system_error("cannot make the proxy's listener dual-stack (IPV6_V6ONLY off)");
  }
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // Inherited by the accepted connections, whose local address is the VIP:port: once closed
  // (TIME_WAIT, FIN_WAIT) they must not keep another program's SO_REUSEADDR listener off that
  // port (nginx or HAProxy on the VIP after xlb stopped; the kernel files each connection under
  // its own port, not the listener's).
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int transparent = dual_stack ? setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one)
                                     : setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one);
  if (transparent != 0) {
    close(fd);
    return system_error("cannot make the proxy's listener transparent (needs CAP_NET_ADMIN)");
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof(sockaddr_in);
  if (dual_stack) {
    auto& sa = reinterpret_cast<sockaddr_in6&>(ss);
    sa.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &sa.sin6_addr);
    sa.sin6_port = htons(port);
    len = sizeof sa;
  } else {
    auto& sa = reinterpret_cast<sockaddr_in&>(ss);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 4096) != 0) {
    close(fd);
    return system_error("cannot bind the proxy's listener on 127.0.0.1");
  }
  return fd;
}

// The port a listener was given (sin_port and sin6_port share their place).
uint16_t listener_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<const sockaddr_in&>(ss).sin_port);
}

}  // namespace

ProxySupervisor::ProxySupervisor(const BpfDatapath& datapath, ProxySupervisorOptions options)
    : datapath_(datapath), options_(std::move(options)) {
  if (options_.binary.empty()) options_.binary = default_proxy_binary();
  thread_ = std::thread([this] { run(); });
}

ProxySupervisor::~ProxySupervisor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (int fd : listeners_) close(fd);
}

void ProxySupervisor::update(std::vector<model::Service> rules) {
  {
    std::lock_guard lock(mu_);
    rules_ = std::move(rules);
    dirty_ = true;
  }
  wake_.notify_one();
}

Result<void> ProxySupervisor::prepare() {
  const unsigned workers =
      options_.workers ? options_.workers : std::max(1u, std::thread::hardware_concurrency());
  std::vector<int> fds;
  uint16_t port = 0;
  for (unsigned i = 0; i < workers; ++i) {
    auto fd = open_proxy_listener(port);
    if (!fd) {
      for (int f : fds) close(f);
      return fd.error();
    }
    if (port == 0) port = listener_port(*fd);
    fds.push_back(*fd);
  }
  auto steering = ProxySteering::attach(datapath_);
  if (!steering) {
    for (int f : fds) close(f);
    return steering.error();
  }
  XLB_TRY((*steering)->set_listener(fds[0]));
  XLB_TRY(install_proxy_route());
  steering_ = std::move(*steering);
  listeners_ = std::move(fds);
  spdlog::info("fullproxy: {} listeners on 127.0.0.1:{}, steering attached", listeners_.size(),
               port);
  return Ok{};
}

Result<void> ProxySupervisor::spawn() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return system_error("cannot create the proxy's control channel");
  // The child's fds: 3 the channel, 4.. the listeners. Copies above 100 first, so dup2 onto
  // 3.. never meets its own source (which would keep close-on-exec set).
  std::vector<int> sources = {sv[1]};
  sources.insert(sources.end(), listeners_.begin(), listeners_.end());
  std::vector<int> high;
  for (int fd : sources) high.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 100));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::vector<std::string> args = {options_.binary, "--control-fd=3"};
  for (size_t i = 0; i < high.size(); ++i) {
    posix_spawn_file_actions_adddup2(&actions, high[i], static_cast<int>(3 + i));
    if (i > 0) args.push_back("--listen-fd=" + std::to_string(3 + i));
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, static_cast<int>(3 + high.size()));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, options_.binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  for (int fd : high) close(fd);
  close(sv[1]);
  if (rc != 0) {
    close(sv[0]);
    errno = rc;
    return system_error("cannot start " + options_.binary);
  }
  timeval timeout{kControlTimeoutS, 0};
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::lock_guard lock(channel_mu_);
  control_fd_ = sv[0];
  pid_ = pid;
  spdlog::info("fullproxy: started xlb-proxy (pid {})", pid);
  return Ok{};
}

void ProxySupervisor::reap_child(bool wait) {
  std::lock_guard lock(channel_mu_);
  if (pid_ < 0) return;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, wait ? 0 : WNOHANG);
  if (done == 0) return;
  if (WIFSIGNALED(status)) {
    spdlog::error("fullproxy: xlb-proxy (pid {}) was killed by signal {}", pid_, WTERMSIG(status));
  } else if (!wait) {
    spdlog::error("fullproxy: xlb-proxy (pid {}) exited with status {}", pid_, WEXITSTATUS(status));
  }
  close(control_fd_);
  control_fd_ = -1;
  pid_ = -1;
}

Result<nlohmann::json> ProxySupervisor::exchange(const nlohmann::json& message) {
  std::lock_guard lock(channel_mu_);
  if (control_fd_ < 0) return Error{ErrorCode::unavailable, "xlb-proxy is not running", ""};
  XLB_TRY(proxy::send_message(control_fd_, message));
  return proxy::receive_message(control_fd_);
}

void ProxySupervisor::push_config() {
  proxy::ProxyConfig config;
  config.limits = options_.limits;
  {
    std::lock_guard lock(mu_);
    config.rules = rules_;
  }
  auto answer = exchange(proxy::config_message(config));
  if (!answer) {
    spdlog::error("fullproxy: cannot configure xlb-proxy: {}", answer.error().message);
  } else if (!answer->value("ok", false)) {
    spdlog::error("fullproxy: xlb-proxy refused its configuration: {}",
                  answer->value("error", std::string("?")));
  }
}

std::optional<proxy::ProxyStatus> ProxySupervisor::status() {
  if (!started_once_.load()) return std::nullopt;
  proxy::ProxyStatus out;
  out.restarts = restarts_.load();
  auto answer = exchange({{"op", "stats"}});
  out.running = answer.ok();
  if (answer && answer->contains("stats")) out.stats = proxy::stats_from_json((*answer)["stats"]);
  return out;
}

Result<nlohmann::json> ProxySupervisor::reload_tls() {
  if (!started_once_.load())
    return Error{ErrorCode::conflict, "no TLS rule: xlb-proxy is not running on this node", ""};
  auto answer = exchange({{"op", "reload_tls"}});
  if (answer && !answer->contains("loaded"))
    return Error{ErrorCode::internal, "xlb-proxy did not understand the reload", ""};
  return answer;
}

void ProxySupervisor::run() {
  auto backoff = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstBackoff);
  auto next_start = SupervisorClock::now();
  auto started_at = SupervisorClock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_ || dirty_; });
    if (stop_) break;
    bool push = std::exchange(dirty_, false);
    const bool wanted = started_once_.load() || !rules_.empty();
    lock.unlock();

    const bool was_running = pid_ >= 0;
    reap_child(false);
    const auto now = SupervisorClock::now();
    if (was_running && pid_ < 0) {
      backoff = now - started_at >= kHealthyRun
                    ? std::chrono::duration_cast<std::chrono::milliseconds>(kFirstBackoff)
                    : std::min(backoff * 2,
                               std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
      next_start = now + backoff;
      spdlog::info("fullproxy: restarting xlb-proxy in {} ms", backoff.count());
    }
    if (pid_ < 0 && wanted && now >= next_start) {
      Result<void> ready = prepared_ ? Result<void>(Ok{}) : prepare();
      prepared_ = prepared_ || ready.ok();
      if (ready) ready = spawn();
      if (ready) {
        if (started_once_.exchange(true)) restarts_.fetch_add(1);
        started_at = now;
        push = true;
      } else {
        spdlog::error("fullproxy: {}", ready.error().message);
        next_start = now + kMaxBackoff;
      }
    }
    if (pid_ >= 0 && push) push_config();
    lock.lock();
  }
  lock.unlock();
  // Closing the channel tells the proxy to exit; SIGTERM too, SIGKILL if it lingers.
  pid_t pid = -1;
  {
    std::lock_guard channel(channel_mu_);
    pid = pid_;
    if (control_fd_ >= 0) shutdown(control_fd_, SHUT_RDWR);
  }
  if (pid < 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 30; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      std::lock_guard channel(channel_mu_);
      close(control_fd_);
      control_fd_ = -1;
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  reap_child(true);
}

}  // namespace xlb::daemon

// health_probe_cost: what N tcp health probes at a given period cost the checker in CPU.
// The listening servers run in a forked child, so getrusage(RUSAGE_SELF) counts only the checker
// (its loop thread plus this idle main thread), including the kernel work done on its behalf.
//
//   health_probe_cost [--targets 2000] [--seconds 10] [--period 1]
#include <arpa/inet.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "health/health_checker.h"

namespace {

using namespace xlb::health;

struct Args {
  int targets = 2000;
  double seconds = 10;
  double period = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    double v = std::atof(argv[i + 1]);
    if (flag == "--targets")
      a.targets = static_cast<int>(v);
    else if (flag == "--seconds")
      a.seconds = v;
    else if (flag == "--period")
      a.period = v;
    else {
      std::fprintf(stderr, "usage: %s [--targets N] [--seconds S] [--period P]\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

void raise_fd_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

// One listening socket on 127.0.0.1 per target; returns fds and ports.
void listen_all(int n, std::vector<int>& fds, std::vector<uint16_t>& ports) {
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
        ::listen(fd, 128) != 0) {
      std::perror("listen");
      std::exit(1);
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    fds.push_back(fd);
    ports.push_back(ntohs(sa.sin_port));
  }
}

// The child: accept and close every connection, forever (killed by the parent).
[[noreturn]] void serve(const std::vector<int>& fds) {
  int ep = ::epoll_create1(0);
  for (int fd : fds) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  epoll_event events[256];
  for (;;) {
    int n = ::epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      for (int c; (c = ::accept4(events[i].data.fd, nullptr, nullptr, 0)) >= 0;) ::close(c);
    }
  }
}

double cpu_seconds(const rusage& r) {
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(r.ru_utime) + s(r.ru_stime);
}

struct Totals {
  uint64_t probes = 0;
  int ok = 0;
  double worst_avg_ms = 0;  // the slowest target's average round trip
};

Totals totals(const HealthChecker& checker) {
  Totals t;
  for (const auto& target : checker.snapshot()) {
    t.probes += target.health.probes;
    t.ok += target.health.state == TargetState::ok;
    if (auto l = target.health.latency.stats())
      t.worst_avg_ms = std::max(t.worst_avg_ms, l->avg_ms);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  raise_fd_limit();
  std::vector<int> fds;
  std::vector<uint16_t> ports;
  listen_all(args.targets, fds, ports);
  pid_t child = ::fork();
  if (child == 0) serve(fds);
  for (int fd : fds) ::close(fd);

  auto checker = HealthChecker::start({});
  if (!checker) {
    std::fprintf(stderr, "%s\n", checker.error().message.c_str());
    return 1;
  }
  for (int i = 0; i < args.targets; ++i) {
    ProbeSpec spec;
    spec.type = ProbeType::tcp;
    spec.ip = "127.0.0.1";
    spec.port = ports[static_cast<size_t>(i)];
    spec.period_s = args.period;
    spec.timeout_s = std::min(args.period, 2.0);
    auto added = (*checker)->upsert("127.0.0.1:" + std::to_string(spec.port) + "/tcp", spec);
    if (!added) {
      std::fprintf(stderr, "%s\n", added.error().message.c_str());
      return 1;
    }
  }
  // Warm up for one period so every target is on its jittered steady schedule.
  std::this_thread::sleep_for(std::chrono::duration<double>(args.period));

  uint64_t probes0 = totals(**checker).probes;
  rusage r0{};
  getrusage(RUSAGE_SELF, &r0);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
  rusage r1{};
  getrusage(RUSAGE_SELF, &r1);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Totals end = totals(**checker);
  uint64_t probes = end.probes - probes0;

  checker->reset();
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  rusage server{};
  getrusage(RUSAGE_CHILDREN, &server);

  double cpu = cpu_seconds(r1) - cpu_seconds(r0);
  std::printf("targets %d, period %gs, measured %.1fs wall\n", args.targets, args.period, wall);
  std::printf(
      "probes %llu (%.0f/s, %.0f expected), targets ok at end %d/%d, slowest avg rtt %.2fms\n",
      static_cast<unsigned long long>(probes), static_cast<double>(probes) / wall,
      args.targets / args.period, end.ok, args.targets, end.worst_avg_ms);
  std::printf("checker cpu %.3fs = %.1f%% of one core, %.1f us per probe\n", cpu,
              100.0 * cpu / wall, probes ? 1e6 * cpu / static_cast<double>(probes) : 0.0);
  std::printf("(servers' accept loop, not counted above: cpu %.3fs over the whole run)\n",
              cpu_seconds(server));
  return end.ok == args.targets ? 0 : 1;
}

#include "topology.h"

#include <bpf/libbpf.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace xlbtest {

std::string mac_text(const Mac& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return buf;
}

namespace {
// Runs a shell command: its exit status and output (stderr included).
int shell_run(const std::string& cmd, std::string& out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[256];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  return pclose(p);
}
}  // namespace

// Runs a shell command; returns an error sentence (with its output) when it fails.
std::string run_shell(const std::string& cmd) {
  std::string out;
  int status = shell_run(cmd, out);
  if (status == -1) return "cannot run `" + cmd + "`";
  if (status != 0) return "`" + cmd + "` failed: " + out;
  return "";
}

std::string shell_output(const std::string& cmd) {
  std::string out;
  return shell_run(cmd, out) == 0 ? out : "";
}

// The kernel's own link-local and multicast routes are left out: they come with the links.
std::string namespace_fingerprint() {
  // Neighbours sorted: the kernel lists them in hash order, which changes when the table grows
  // (a test that makes many lookups) without any entry changing.
  return shell_output(
      "ip route show; ip -6 route show | grep -v '^fe80::\\|^multicast\\|^ff00::'; "
      "{ ip -4 neigh show nud permanent; ip -6 neigh show nud permanent; } | LC_ALL=C sort");
}

namespace {

Env g_env;

std::string write_sysctl(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.flush();
  return f ? "" : "cannot write " + path;
}

std::string build_topology() {
  std::vector<std::string> cmds = {
      "ip link set lo up",
      "ip link add " + std::string(kCliIf) + " address " + mac_text(kLbCliMac) +
          " type veth peer name " + kCliPeerIf + " address 02:00:00:00:01:02",
      "ip link add " + std::string(kBeIf) + " address " + mac_text(kLbBeMac) +
          " type veth peer name xlbb1 address 02:00:00:00:02:02",
      "ip link add " + std::string(kGwIf) + " mtu " + std::to_string(kGwMtu) + " address " +
          mac_text(kLbGwMac) + " type veth peer name xlbr1 mtu " + std::to_string(kGwMtu) +
          " address 02:00:00:00:03:02",
      "ip addr add " + std::string(kLbCliIp) + "/24 dev " + kCliIf,
      "ip addr add " + std::string(kLbBeIp) + "/24 dev " + kBeIf,
      "ip addr add " + std::string(kLbGwIp) + "/24 dev " + kGwIf,
  };
  for (const char* dev : {kCliIf, kCliPeerIf, kBeIf, "xlbb1", kGwIf, "xlbr1"})
    cmds.push_back(std::string("ip link set ") + dev + " up");
  for (const Host& h : {kClient, kClient2})
    cmds.push_back(std::string("ip neigh replace ") + h.ip + " lladdr " + mac_text(h.mac) +
                   " dev " + kCliIf + " nud permanent");
  for (const Host& h : kEndpoints)
    cmds.push_back(std::string("ip neigh replace ") + h.ip + " lladdr " + mac_text(h.mac) +
                   " dev " + kBeIf + " nud permanent");
  cmds.push_back(std::string("ip neigh replace ") + kGateway.ip + " lladdr " +
                 mac_text(kGateway.mac) + " dev " + kGwIf + " nud permanent");
  cmds.push_back(std::string("ip route add 10.0.4.0/24 via ") + kGateway.ip + " dev " + kGwIf);
  cmds.push_back(std::string("ip -6 addr add ") + kLbCliIp6 + "/64 dev " + kCliIf + " nodad");
  cmds.push_back(std::string("ip -6 addr add ") + kLbBeIp6 + "/64 dev " + kBeIf + " nodad");
  cmds.push_back(std::string("ip -6 addr add ") + kLbGwIp6 + "/64 dev " + kGwIf + " nodad");
  for (const Host& h : {kClient6, kClient6b})
    cmds.push_back(std::string("ip -6 neigh replace ") + h.ip + " lladdr " + mac_text(h.mac) +
                   " dev " + kCliIf + " nud permanent");
  for (const Host& h : kEndpoints6)
    cmds.push_back(std::string("ip -6 neigh replace ") + h.ip + " lladdr " + mac_text(h.mac) +
                   " dev " + kBeIf + " nud permanent");
  cmds.push_back(std::string("ip -6 neigh replace ") + kGateway6.ip + " lladdr " +
                 mac_text(kGateway6.mac) + " dev " + kGwIf + " nud permanent");
  cmds.push_back(std::string("ip -6 route add fd00:4::/64 via ") + kGateway6.ip + " dev " + kGwIf);
  for (const auto& c : cmds)
    if (auto err = run_shell(c); !err.empty()) return err;
  if (auto err = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"); !err.empty()) return err;
  // bpf_fib_lookup refuses IPv6 routes while forwarding is off.
  if (auto err = write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1"); !err.empty())
    return err;
  return "";
}

}  // namespace

void setup_namespace() {
  if (geteuid() != 0) {
    g_env.skip_reason = "datapath tests need root (network namespace + BPF); run them as root";
    return;
  }
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    g_env.skip_reason = "cannot create a network namespace (unshare failed); run as root";
    return;
  }
  // Mounts made by the tests (bpffs) stay inside this process's mount namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    g_env.error = "cannot make / private in the test mount namespace";
    return;
  }
  if (!mount_bpffs(kDefaultBpffs)) {
    g_env.error = "cannot mount a private bpffs on " + std::string(kDefaultBpffs);
    return;
  }
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, nullptr) != 1) {
    g_env.skip_reason = "BPF tc programs cannot be loaded here (no BPF support or permission)";
    return;
  }
  if (auto err = build_topology(); !err.empty()) {
    g_env.error = "test network namespace: " + err;
    return;
  }
  g_env.cli_ifindex = static_cast<int>(if_nametoindex(kCliIf));
  g_env.cli_peer_ifindex = static_cast<int>(if_nametoindex(kCliPeerIf));
  g_env.be_ifindex = static_cast<int>(if_nametoindex(kBeIf));
  g_env.gw_ifindex = static_cast<int>(if_nametoindex(kGwIf));
  g_env.ready = g_env.cli_ifindex && g_env.cli_peer_ifindex && g_env.be_ifindex && g_env.gw_ifindex;
  if (!g_env.ready) g_env.error = "test network namespace: veth interfaces not found";
  g_env.fingerprint = namespace_fingerprint();
}

const Env& env() { return g_env; }

Host client_host(size_t i) {
  if (i >= 150) throw std::out_of_range("client_host: at most 150 clients");
  static std::deque<std::string> ips;  // stable c_str()s for the program's lifetime
  while (ips.size() <= i) ips.push_back("10.0.1." + std::to_string(100 + ips.size()));
  return {ips[i].c_str(), {0x02, 0, 0, 0, 0x01, static_cast<uint8_t>(100 + i)}};
}

Host client_host6(size_t i) {
  Host v4 = client_host(i);  // bounds i, and gives the MAC
  static std::deque<std::string> ips;
  while (ips.size() <= i) {
    char text[32];
    std::snprintf(text, sizeof text, "fd00:1::%zx", 0x100 + ips.size());
    ips.emplace_back(text);
  }
  return {ips[i].c_str(), v4.mac};
}

bool mount_bpffs(const std::string& dir) {
  return mount("bpf", dir.c_str(), "bpf", 0, "mode=0700") == 0;
}

}  // namespace xlbtest

// The test network namespace: three veth pairs with fixed MACs, addresses, routes and permanent
// neighbours, so bpf_fib_lookup gives deterministic answers. Built once per process in main(),
// shared by the process's tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace xlbtest {

using Mac = std::array<uint8_t, 6>;

struct Host {
  const char* ip;
  Mac mac;
};

// Client side: the LB's interface xlbc0 (10.0.1.1/24) and the clients behind it.
inline constexpr const char* kCliIf = "xlbc0";
inline constexpr const char* kCliPeerIf = "xlbc1";  // never registered with the datapath
inline constexpr Mac kLbCliMac = {0x02, 0, 0, 0, 0x01, 0x01};
inline constexpr Host kClient = {"10.0.1.100", {0x02, 0, 0, 0, 0x01, 0x64}};
inline constexpr Host kClient2 = {"10.0.1.101", {0x02, 0, 0, 0, 0x01, 0x65}};
inline constexpr const char* kLbCliIp = "10.0.1.1";
// 10.0.1.(100 + i) with MAC 02:00:00:00:01:(100 + i), i < 150: client_host(0) is kClient and
// client_host(1) kClient2; only those two have neighbour entries (others: SYNs only).
Host client_host(size_t i);

// Backend side: the LB's interface xlbb0 (10.0.2.1/24) and the endpoints behind it.
inline constexpr const char* kBeIf = "xlbb0";
inline constexpr Mac kLbBeMac = {0x02, 0, 0, 0, 0x02, 0x01};
inline constexpr std::array<Host, 4> kEndpoints = {{
    {"10.0.2.10", {0x02, 0, 0, 0, 0x02, 0x0a}},
    {"10.0.2.11", {0x02, 0, 0, 0, 0x02, 0x0b}},
    {"10.0.2.12", {0x02, 0, 0, 0, 0x02, 0x0c}},
    {"10.0.2.13", {0x02, 0, 0, 0, 0x02, 0x0d}},
}};
inline constexpr const char* kLbBeIp = "10.0.2.1";
// On the backend subnet but without a neighbour entry: fib lookup answers NO_NEIGH.
inline constexpr Host kUnresolvedEndpoint = {"10.0.2.99", {0, 0, 0, 0, 0, 0}};
// No route at all (the namespace has no default route).
inline constexpr Host kUnroutableEndpoint = {"192.0.2.50", {0, 0, 0, 0, 0, 0}};

// Routed side: the LB's interface xlbr0 (10.0.3.1/24, MTU kGwMtu, smaller than the others so
// tunnel overhead matters) and a gateway 10.0.3.254 to 10.0.4.0/24, where routed endpoints live.
// A routed endpoint's `mac` is the gateway's: the MAC its frames carry on the LB's link.
inline constexpr const char* kGwIf = "xlbr0";
inline constexpr Mac kLbGwMac = {0x02, 0, 0, 0, 0x03, 0x01};
inline constexpr const char* kLbGwIp = "10.0.3.1";
inline constexpr unsigned kGwMtu = 1400;
inline constexpr Host kGateway = {"10.0.3.254", {0x02, 0, 0, 0, 0x03, 0xfe}};
inline constexpr std::array<Host, 2> kRoutedEndpoints = {{
    {"10.0.4.10", kGateway.mac},
    {"10.0.4.11", kGateway.mac},
}};

// VIPs live on the client subnet, so ARP for them is meaningful.
inline constexpr const char* kVip = "10.0.1.200";
inline constexpr const char* kVip2 = "10.0.1.201";

// IPv6 beside IPv4 on the same links and MACs (addresses without DAD, permanent neighbours):
// fd00:1::/64 client side, fd00:2::/64 backends, fd00:3::/64 routed side with fd00:4::/64 behind
// the gateway.
inline constexpr Host kClient6 = {"fd00:1::100", kClient.mac};
inline constexpr Host kClient6b = {"fd00:1::101", kClient2.mac};
inline constexpr const char* kLbCliIp6 = "fd00:1::1";
inline constexpr std::array<Host, 4> kEndpoints6 = {{
    {"fd00:2::10", kEndpoints[0].mac},
    {"fd00:2::11", kEndpoints[1].mac},
    {"fd00:2::12", kEndpoints[2].mac},
    {"fd00:2::13", kEndpoints[3].mac},
}};
inline constexpr const char* kLbBeIp6 = "fd00:2::1";
inline constexpr const char* kLbGwIp6 = "fd00:3::1";
inline constexpr Host kGateway6 = {"fd00:3::fe", kGateway.mac};
inline constexpr std::array<Host, 2> kRoutedEndpoints6 = {{
    {"fd00:4::10", kGateway.mac},
    {"fd00:4::11", kGateway.mac},
}};
// fd00:1::(0x100 + i) with client_host(i)'s MAC: client_host6(0) is kClient6, (1) kClient6b.
Host client_host6(size_t i);
inline constexpr const char* kVip6 = "fd00:1::200";
inline constexpr const char* kVip6b = "fd00:1::201";

struct Env {
  bool ready = false;
  std::string skip_reason;  // set when the tests cannot run here (not root, no BPF)
  std::string error;        // set when the namespace could not be built (a real failure)
  int cli_ifindex = 0;
  int cli_peer_ifindex = 0;
  int be_ifindex = 0;
  int gw_ifindex = 0;
  std::string fingerprint;  // namespace_fingerprint() once built
};

// Enters a fresh network + mount namespace and builds the topology. Call before any thread.
// A private bpffs is mounted on /sys/fs/bpf there, so nothing the tests pin reaches the host.
void setup_namespace();
// Mounts a fresh, empty bpffs on `dir` (inside the test's mount namespace); false on failure.
bool mount_bpffs(const std::string& dir);
inline constexpr const char* kDefaultBpffs = "/sys/fs/bpf";
const Env& env();

// Runs a shell command (inside the test namespace once setup_namespace() ran); returns "" or an
// error sentence with its output. For tests that change the topology (and restore it).
std::string run_shell(const std::string& cmd);
std::string mac_text(const Mac& m);
// A command's output (its stderr too); "" when it fails.
std::string shell_output(const std::string& cmd);
// The namespace's routes and permanent neighbours, as text: a test must leave them as it found
// them, since the next test of the process shares the namespace.
std::string namespace_fingerprint();

}  // namespace xlbtest

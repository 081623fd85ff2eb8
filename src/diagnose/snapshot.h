// What `xlbctl diagnose lb` looks at, gathered once: the rules on the VIP, their endpoints'
// health, the VIP's flows folded per endpoint, conntrack fill, datapath counters and what the
// host's routing and neighbour tables say. analyze() turns it into findings without any I/O.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/ha_status.h"
#include "common/ip.h"
#include "conntrack/summary.h"
#include "model/service.h"
#include "status/source.h"
#include "status/status.h"
#include "status/store_status.h"

extern "C" {
#include "xlb/abi/conntrack.h"
#include "xlb/abi/stats.h"
}

namespace xlb::diagnose {

struct Query {
  std::string vip;
  std::optional<uint16_t> port;             // none: every rule on the VIP
  std::optional<model::Protocol> protocol;  // none: tcp and udp
  std::string describe() const;             // "10.0.0.1:80/tcp", "10.0.0.1"
  bool matches(const model::ServiceKey& key) const;
};

// A handshake younger than this is still in progress, not stuck.
inline constexpr double kStuckAfterS = 2.0;
// How many client addresses a finding quotes as examples.
inline constexpr size_t kClientSamples = 3;

// The VIP's tracked flows to one endpoint (ip:port), folded: memory stays bounded however many
// flows there are.
struct EndpointFlows {
  std::string endpoint;  // ip
  uint16_t port = 0;
  model::Mode mode = model::Mode::nat;  // the CT entry's
  uint64_t flows = 0;
  std::map<xlb_ct_state, uint64_t> by_state;
  // TCP flows in syn-sent for kStuckAfterS or more with no packet ever back from the endpoint.
  uint64_t unanswered = 0;
  double oldest_unanswered_s = 0;
  // TCP flows the endpoint answered with an RST and nothing else: a refused connection.
  uint64_t refused = 0;
  std::vector<std::string> sample_clients;  // clients of unanswered/refused flows
  std::vector<std::string> clients;         // clients of any flow (kClientSamples at most)
};

// A route lookup in the main routing table (policy routing is not evaluated).
struct RouteFact {
  std::string destination;
  bool found = false;
  std::string via;  // gateway, empty when on-link
  std::string dev;
};

// The kernel's neighbour entry state for an on-link address; none: no entry.
enum class NeighbourState {
  none,
  reachable,
  stale,
  delay,
  probe,
  permanent,
  noarp,
  failed,
  incomplete
};
std::string to_string(NeighbourState state);  // "reachable", ..., "none"

struct NeighbourFact {
  std::string ip;
  std::string dev;
  NeighbourState state = NeighbourState::none;
};

// Datapath verdict counters, indexed by enum xlb_dp_stat: a counter is named by its enumerator,
// so a misspelt one does not compile.
using DpCounters = std::array<uint64_t, XLB_STAT_MAX>;

// Words that differ by the address's family: "ARP" or "Neighbor Discovery"; "10.0.0.1/32" or
// "2001:db8::1/128"; "ip route" or "ip -6 route"; how a DSR backend holds the VIP.
std::string neighbour_protocol(const std::string& ip);
std::string host_prefix(const std::string& ip);
std::string route_command(const std::string& ip);
std::string backend_vip_setup(const std::string& vip);

struct Subnet {
  std::string prefix;  // "10.9.16.0/24", "2001:db8:1::/64"
  std::string dev;
  IpCidr net;
  bool contains(const std::string& ip) const;
};

struct NetFacts {
  bool checked = false;  // false: not gathered (netlink failed); the error says why
  std::string error;
  std::vector<std::string> managed_interfaces;
  std::vector<Subnet> subnets;            // this host's connected subnets
  std::vector<RouteFact> routes;          // toward each endpoint and each sampled client
  std::vector<NeighbourFact> neighbours;  // of each on-link endpoint

  const Subnet* subnet_of(const std::string& ip) const;
  const RouteFact* route_to(const std::string& ip) const;
  const NeighbourFact* neighbour_of(const std::string& ip) const;
};

// The peer of a veth the datapath runs XDP on. A frame XDP redirects into a veth is dropped
// unless the veth's peer has NAPI, which the peer gets from a native XDP program of its own or
// from GRO; a frame XDP sends back out of the veth it came in on (XDP_TX) is delivered only when
// the peer has a native XDP program (GRO does not wake the peer for those).
struct VethPeerFact {
  std::string ifname;      // the managed veth
  std::string peer;        // the peer's name, "eth0 (netns client)" when it lives elsewhere
  std::string peer_if;     // the peer's bare name, for the fix's ethtool command
  std::string peer_netns;  // the peer's named namespace (/run/netns), empty: this one or unnamed
  bool checked = false;    // false: the peer could not be inspected; error says why
  std::string error;
  bool xdp = false;  // the peer has a native (driver-mode) XDP program
  bool gro = false;  // GRO is on on the peer
  // TX checksum offload on the peer: what a local stack sends through it keeps a checksum for
  // "hardware" to finish, which XDP cannot see; rewritten, it arrives with a bad checksum.
  bool tx_csum = false;
};

struct Snapshot {
  Query query;
  std::vector<ServiceStatus> rules_on_vip;  // every rule on the VIP (not only the queried one)
  std::vector<std::string> other_vips;      // VIPs that do have rules, when this one has none
  std::optional<CtSummary> conntrack;
  std::vector<EndpointFlows> flows;  // flows matching the query
  DpCounters counters{};
  NetFacts net;
  cluster::HaStatus ha;              // this node's HA states and what its --cluster peers report
  std::optional<StoreStatus> store;  // where the configuration lives; nullopt: not reported
  AttachStatus attach;               // xlbd --attach and each interface's hook
  std::vector<VethPeerFact> veth_peers;  // of the veths on xdp; empty: none, or not gathered
};

}  // namespace xlb::diagnose

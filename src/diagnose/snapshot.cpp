#include "diagnose/snapshot.h"

#include <arpa/inet.h>

#include "common/ip.h"
#include "model/enum_names.h"

namespace xlb::diagnose {

std::string neighbour_protocol(const std::string& ip) {
  return family_of(ip) == XLB_AF_INET6 ? "Neighbor Discovery" : "ARP";
}

std::string host_prefix(const std::string& ip) {
  return ip + (family_of(ip) == XLB_AF_INET6 ? "/128" : "/32");
}

std::string route_command(const std::string& ip) {
  return family_of(ip) == XLB_AF_INET6 ? "ip -6 route" : "ip route";
}

std::string backend_vip_setup(const std::string& vip) {
  // IPv6 answers Neighbor Solicitations only on the interface holding the address, so lo needs
  // no sysctl; nodad, or the address stays tentative while duplicate detection runs.
  if (family_of(vip) == XLB_AF_INET6) return "`ip -6 addr add " + vip + "/128 dev lo nodad`";
  return vip + "/32 on lo with arp_ignore=1 and arp_announce=2";
}

std::string Query::describe() const {
  std::string text = port ? ip_with_port(vip, *port) : vip;
  if (protocol) text += "/" + model::to_string(*protocol);
  return text;
}

bool Query::matches(const model::ServiceKey& key) const {
  return key.vip == vip && (!port || key.port == *port) && (!protocol || key.protocol == *protocol);
}

std::string to_string(NeighbourState state) {
  static constexpr model::EnumName<NeighbourState> kNames[] = {
      {NeighbourState::none, "none"},
      {NeighbourState::reachable, "reachable"},
      {NeighbourState::stale, "stale"},
      {NeighbourState::delay, "delay"},
      {NeighbourState::probe, "probe"},
      {NeighbourState::permanent, "permanent"},
      {NeighbourState::noarp, "noarp"},
      {NeighbourState::failed, "failed"},
      {NeighbourState::incomplete, "incomplete"}};
  return model::enum_name<NeighbourState>(kNames, state);
}

bool Subnet::contains(const std::string& ip) const {
  auto parsed = parse_ip(ip);
  return parsed && net.contains(*parsed);
}

const Subnet* NetFacts::subnet_of(const std::string& ip) const {
  const Subnet* best = nullptr;
  for (const auto& s : subnets) {
    if (s.contains(ip) && (!best || s.net.prefix > best->net.prefix)) best = &s;
  }
  return best;
}

const RouteFact* NetFacts::route_to(const std::string& ip) const {
  for (const auto& r : routes) {
    if (r.destination == ip) return &r;
  }
  return nullptr;
}

const NeighbourFact* NetFacts::neighbour_of(const std::string& ip) const {
  for (const auto& n : neighbours) {
    if (n.ip == ip) return &n;
  }
  return nullptr;
}

}  // namespace xlb::diagnose

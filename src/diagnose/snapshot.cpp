#include "diagnose/snapshot.h"

#include <arpa/inet.h>

#include "common/ip.h"
#include "model/enum_names.h"

namespace xlb::diagnose {

std::string Query::describe() const {
  std::string text = vip;
  if (port) text += ":" + std::to_string(*port);
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
  auto parsed = parse_ipv4(ip);
  return parsed && (ntohl(parsed->w[0]) & mask) == network;
}

const Subnet* NetFacts::subnet_of(const std::string& ip) const {
  const Subnet* best = nullptr;
  for (const auto& s : subnets) {
    if (s.contains(ip) && (!best || s.mask > best->mask)) best = &s;
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

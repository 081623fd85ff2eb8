#include "api/effective_mode.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <utility>
#include <vector>

#include "common/ip.h"

namespace xlb::api {
namespace {

// (network, mask) of every IPv4 address of this network namespace, host byte order.
std::vector<std::pair<uint32_t, uint32_t>> connected_subnets() {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_netmask || i->ifa_addr->sa_family != AF_INET) continue;
    uint32_t addr = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
    uint32_t mask = ntohl(reinterpret_cast<sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
    if ((addr >> 24) == 127) continue;
    out.emplace_back(addr & mask, mask);
  }
  freeifaddrs(list);
  return out;
}

}  // namespace

std::string effective_mode(const model::Service& svc) {
  if (svc.mode != model::Mode::dsr) return to_string(svc.mode);
  if (svc.dsr_ipip) return "dsr:ipip";
  auto subnets = connected_subnets();
  bool any_l2 = false, any_ipip = false;
  for (const auto& ep : svc.endpoints) {
    auto ip = parse_ipv4(ep.ip);
    uint32_t h = ip ? ntohl(ip->w[0]) : 0;
    bool connected = false;
    for (const auto& [net, mask] : subnets) connected = connected || (h & mask) == net;
    (connected ? any_l2 : any_ipip) = true;
  }
  if (any_l2 && any_ipip) return "dsr:l2,ipip";
  return any_ipip ? "dsr:ipip" : "dsr:l2";
}

}  // namespace xlb::api

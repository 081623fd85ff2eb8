#include "diagnose/net_facts.h"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>

#include "common/ip.h"

namespace xlb::diagnose {
namespace {

using Socket = std::unique_ptr<nl_sock, decltype(&nl_socket_free)>;
using Cache = std::unique_ptr<nl_cache, decltype(&nl_cache_free)>;

uint32_t mask_of(int prefixlen) {
  return prefixlen <= 0 ? 0 : prefixlen >= 32 ? 0xffffffffu : ~((1u << (32 - prefixlen)) - 1);
}

// Host-order IPv4 of a libnl address; false when it is not one.
bool ipv4_of(nl_addr* addr, uint32_t* out) {
  if (!addr || nl_addr_get_family(addr) != AF_INET || nl_addr_get_len(addr) != 4) return false;
  uint32_t be;
  std::memcpy(&be, nl_addr_get_binary_addr(addr), 4);
  *out = ntohl(be);
  return true;
}

std::string dotted(uint32_t host) {
  xlb_ip ip{};
  ip.w[0] = htonl(host);
  return format_ip(ip);
}

std::string link_name(nl_cache* links, int ifindex) {
  char buf[64] = {};  // > IFNAMSIZ
  return rtnl_link_i2name(links, ifindex, buf, sizeof buf) ? buf : "if" + std::to_string(ifindex);
}

NeighbourState neigh_state(int state) {
  if (state & NUD_REACHABLE) return NeighbourState::reachable;
  if (state & NUD_STALE) return NeighbourState::stale;
  if (state & NUD_DELAY) return NeighbourState::delay;
  if (state & NUD_PROBE) return NeighbourState::probe;
  if (state & NUD_PERMANENT) return NeighbourState::permanent;
  if (state & NUD_NOARP) return NeighbourState::noarp;
  if (state & NUD_FAILED) return NeighbourState::failed;
  if (state & NUD_INCOMPLETE) return NeighbourState::incomplete;
  return NeighbourState::none;
}

struct Tables {
  Cache links{nullptr, nl_cache_free};
  Cache addrs{nullptr, nl_cache_free};
  Cache routes{nullptr, nl_cache_free};
  Cache neighs{nullptr, nl_cache_free};
};

// The neighbour table only when asked for (effective_mode_here needs routes alone).
std::string load(nl_sock* sock, Tables& t, bool neighbours) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw); err < 0) return nl_geterror(err);
  t.links.reset(raw);
  if (int err = rtnl_addr_alloc_cache(sock, &raw); err < 0) return nl_geterror(err);
  t.addrs.reset(raw);
  if (int err = rtnl_route_alloc_cache(sock, AF_INET, 0, &raw); err < 0) return nl_geterror(err);
  t.routes.reset(raw);
  if (!neighbours) return "";
  if (int err = rtnl_neigh_alloc_cache(sock, &raw); err < 0) return nl_geterror(err);
  t.neighs.reset(raw);
  return "";
}

void add_subnets(const Tables& t, NetFacts& facts) {
  for (nl_object* o = nl_cache_get_first(t.addrs.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    uint32_t local = 0;
    if (!ipv4_of(rtnl_addr_get_local(a), &local) || (local >> 24) == 127) continue;
    const int len = rtnl_addr_get_prefixlen(a);
    const uint32_t mask = mask_of(len);
    facts.subnets.push_back({dotted(local & mask) + "/" + std::to_string(len),
                             link_name(t.links.get(), rtnl_addr_get_ifindex(a)), local & mask,
                             mask});
  }
}

// Longest prefix match among the main table's unicast routes.
RouteFact lookup_route(const Tables& t, const std::string& ip) {
  RouteFact fact;
  fact.destination = ip;
  auto parsed = parse_ipv4(ip);
  if (!parsed) return fact;
  const uint32_t dst = ntohl(parsed->w[0]);
  int best_len = -1;
  for (nl_object* o = nl_cache_get_first(t.routes.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) continue;
    nl_addr* d = rtnl_route_get_dst(r);
    uint32_t net = 0;
    const int len = d ? static_cast<int>(nl_addr_get_prefixlen(d)) : 0;
    if (d && nl_addr_get_len(d) && !ipv4_of(d, &net)) continue;
    if ((dst & mask_of(len)) != (net & mask_of(len)) || len <= best_len) continue;
    best_len = len;
    fact.found = true;
    fact.via.clear();
    fact.dev.clear();
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      uint32_t gw = 0;
      if (ipv4_of(rtnl_route_nh_get_gateway(nh), &gw)) fact.via = dotted(gw);
      fact.dev = link_name(t.links.get(), rtnl_route_nh_get_ifindex(nh));
    }
  }
  return fact;
}

NeighbourFact lookup_neighbour(const Tables& t, const std::string& ip, const std::string& dev) {
  NeighbourFact fact{ip, dev};
  auto parsed = parse_ipv4(ip);
  if (!parsed) return fact;
  for (nl_object* o = nl_cache_get_first(t.neighs.get()); o; o = nl_cache_get_next(o)) {
    auto* n = reinterpret_cast<rtnl_neigh*>(o);
    uint32_t addr = 0;
    if (!ipv4_of(rtnl_neigh_get_dst(n), &addr) || addr != ntohl(parsed->w[0])) continue;
    if (link_name(t.links.get(), rtnl_neigh_get_ifindex(n)) != dev) continue;
    fact.state = neigh_state(rtnl_neigh_get_state(n));
  }
  return fact;
}

}  // namespace

NetFacts gather_net_facts(std::vector<std::string> managed_interfaces,
                          const std::vector<std::string>& route_to,
                          const std::vector<std::string>& neighbours_of) {
  NetFacts facts;
  facts.managed_interfaces = std::move(managed_interfaces);
  Socket sock(nl_socket_alloc(), nl_socket_free);
  if (!sock) {
    facts.error = "cannot allocate a netlink socket";
    return facts;
  }
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    facts.error = std::string("netlink: ") + nl_geterror(err);
    return facts;
  }
  Tables tables;
  if (std::string err = load(sock.get(), tables, !neighbours_of.empty()); !err.empty()) {
    facts.error = "netlink: " + err;
    return facts;
  }
  add_subnets(tables, facts);
  for (const auto& ip : route_to) facts.routes.push_back(lookup_route(tables, ip));
  for (const auto& ip : neighbours_of) {
    if (const Subnet* sub = facts.subnet_of(ip)) {
      facts.neighbours.push_back(lookup_neighbour(tables, ip, sub->dev));
    }
  }
  facts.checked = true;
  return facts;
}

}  // namespace xlb::diagnose

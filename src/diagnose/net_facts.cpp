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

// The address of a libnl address of either family; nullopt for anything else.
std::optional<IpAddress> netlink_ip(nl_addr* addr) {
  if (!addr) return std::nullopt;
  IpAddress ip;
  const int family = nl_addr_get_family(addr);
  const unsigned len = nl_addr_get_len(addr);
  if (family == AF_INET && len == 4) {
    ip.family = XLB_AF_INET;
  } else if (family == AF_INET6 && len == 16) {
    ip.family = XLB_AF_INET6;
  } else {
    return std::nullopt;
  }
  std::memcpy(ip.addr.w, nl_addr_get_binary_addr(addr), len);
  return ip;
}

// The route's destination as a network; a default route has no address (or a zero-length one).
std::optional<IpCidr> route_destination(nl_addr* dst, uint8_t family) {
  IpCidr net;
  net.network.family = family;
  net.prefix = 0;
  if (!dst || nl_addr_get_len(dst) == 0) return net;
  auto ip = netlink_ip(dst);
  if (!ip || ip->family != family) return std::nullopt;
  return ip_cidr(*ip, nl_addr_get_prefixlen(dst));
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
  if (int err = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &raw); err < 0) return nl_geterror(err);
  t.routes.reset(raw);
  if (!neighbours) return "";
  if (int err = rtnl_neigh_alloc_cache(sock, &raw); err < 0) return nl_geterror(err);
  t.neighs.reset(raw);
  return "";
}

void add_subnets(const Tables& t, NetFacts& facts) {
  for (nl_object* o = nl_cache_get_first(t.addrs.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    auto local = netlink_ip(rtnl_addr_get_local(a));
    if (!local) continue;
    const std::string text = format_ip(*local);
    // Loopback and IPv6 link-local addresses connect no endpoint a rule can name.
    if (text.starts_with("127.") || text == "::1" || text.starts_with("fe80:")) continue;
    auto net = ip_cidr(*local, rtnl_addr_get_prefixlen(a));
    if (!net) continue;
    facts.subnets.push_back({format_ip(net->network) + "/" + std::to_string(net->prefix),
                             link_name(t.links.get(), rtnl_addr_get_ifindex(a)), *net});
  }
}

// Longest prefix match among the main table's unicast routes of the address's family.
RouteFact lookup_route(const Tables& t, const std::string& ip) {
  RouteFact fact;
  fact.destination = ip;
  auto dst = parse_ip(ip);
  if (!dst) return fact;
  int best_len = -1;
  for (nl_object* o = nl_cache_get_first(t.routes.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) continue;
    const int route_family = rtnl_route_get_family(r);
    if (route_family != (dst->v6() ? AF_INET6 : AF_INET)) continue;
    auto net = route_destination(rtnl_route_get_dst(r), dst->family);
    if (!net || !net->contains(*dst) || net->prefix <= best_len) continue;
    best_len = net->prefix;
    fact.found = true;
    fact.via.clear();
    fact.dev.clear();
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      if (auto gw = netlink_ip(rtnl_route_nh_get_gateway(nh))) fact.via = format_ip(*gw);
      fact.dev = link_name(t.links.get(), rtnl_route_nh_get_ifindex(nh));
    }
  }
  return fact;
}

NeighbourFact lookup_neighbour(const Tables& t, const std::string& ip, const std::string& dev) {
  NeighbourFact fact{ip, dev};
  auto wanted = parse_ip(ip);
  if (!wanted) return fact;
  for (nl_object* o = nl_cache_get_first(t.neighs.get()); o; o = nl_cache_get_next(o)) {
    auto* n = reinterpret_cast<rtnl_neigh*>(o);
    auto addr = netlink_ip(rtnl_neigh_get_dst(n));
    if (!addr || !(*addr == *wanted)) continue;
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

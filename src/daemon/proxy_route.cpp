#include "daemon/proxy_route.h"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <sys/socket.h>

#include <memory>
#include <string>

extern "C" {
#include "xlb/abi/service.h"
}

namespace xlb::daemon {
namespace {

constexpr uint32_t kProxyRulePriority = 7862;  // before the main table's 32766

struct NlSockFree {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct RuleFree {
  void operator()(rtnl_rule* r) const { rtnl_rule_put(r); }
};
struct RouteFree {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct AddrFree {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};

Error route_error(const std::string& what, int err) {
  return Error{ErrorCode::system,
               "cannot " + what + " for fullproxy rules (" + nl_geterror(err) +
                   "): xlbd needs CAP_NET_ADMIN",
               ""};
}

std::unique_ptr<nl_sock, NlSockFree> route_socket() {
  std::unique_ptr<nl_sock, NlSockFree> sk(nl_socket_alloc());
  if (sk && nl_connect(sk.get(), NETLINK_ROUTE) != 0) sk.reset();
  return sk;
}

// Both families: IPv4 and IPv6 fullproxy VIPs take the same mark and table number.
constexpr int kProxyRouteFamilies[] = {AF_INET, AF_INET6};

std::unique_ptr<rtnl_rule, RuleFree> proxy_rule(int family) {
  std::unique_ptr<rtnl_rule, RuleFree> rule(rtnl_rule_alloc());
  rtnl_rule_set_family(rule.get(), family);
  rtnl_rule_set_prio(rule.get(), kProxyRulePriority);
  rtnl_rule_set_mark(rule.get(), XLB_PROXY_MARK);
  rtnl_rule_set_mask(rule.get(), 0xffffffffu);
  rtnl_rule_set_table(rule.get(), XLB_PROXY_TABLE);
  rtnl_rule_set_action(rule.get(), FR_ACT_TO_TBL);
  return rule;
}

std::unique_ptr<rtnl_route, RouteFree> proxy_local_route(int family) {
  std::unique_ptr<rtnl_route, RouteFree> route(rtnl_route_alloc());
  nl_addr* any = nullptr;
  nl_addr_parse(family == AF_INET6 ? "::/0" : "0.0.0.0/0", family, &any);
  std::unique_ptr<nl_addr, AddrFree> dst(any);
  rtnl_route_set_family(route.get(), family);
  rtnl_route_set_table(route.get(), XLB_PROXY_TABLE);
  rtnl_route_set_type(route.get(), RTN_LOCAL);
  rtnl_route_set_scope(route.get(), RT_SCOPE_HOST);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, static_cast<int>(if_nametoindex("lo")));
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  return route;
}

}  // namespace

Result<void> install_proxy_route() {
  auto sk = route_socket();
  if (!sk) return route_error("open a netlink socket", -NLE_NOMEM);
  for (int family : kProxyRouteFamilies) {
    const std::string ip = family == AF_INET6 ? "IPv6 " : "IPv4 ";
    int rc =
        rtnl_route_add(sk.get(), proxy_local_route(family).get(), NLM_F_CREATE | NLM_F_REPLACE);
    // A kernel booted without IPv6 has no IPv6 VIPs to serve: IPv4 alone is enough there.
    if (rc == -NLE_AF_NOSUPPORT && family == AF_INET6) continue;
    if (rc < 0)
      return route_error(
          "add the " + ip + "local route of table " + std::to_string(XLB_PROXY_TABLE), rc);
    rc = rtnl_rule_add(sk.get(), proxy_rule(family).get(), NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0 && rc != -NLE_EXIST) return route_error("add the " + ip + "fwmark rule", rc);
  }
  return Ok{};
}

void remove_proxy_route() {
  auto sk = route_socket();
  if (!sk) return;
  for (int family : kProxyRouteFamilies) {
    rtnl_rule_delete(sk.get(), proxy_rule(family).get(), 0);
    rtnl_route_delete(sk.get(), proxy_local_route(family).get(), 0);
  }
}

}  // namespace xlb::daemon

#include "bgp/gobgpd_config.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "common/ip.h"

namespace xlb::bgp {

std::string gobgpd_config_text(const BgpConfig& cfg) {
  if (!cfg.global) return "";
  std::string out =
      "# Written by xlbd (xlbctl create bgpglobal / bgpneighbor); changes are lost.\n";
  out += "[global.config]\n  as = " + std::to_string(cfg.global->local_as) + "\n  router-id = \"" +
         cfg.global->router_id + "\"\n  port = 179\n";
  // A global import policy applies to local routes too, so it rejects by neighbour: every
  // address a peer can have.
  out +=
      "[global.apply-policy.config]\n"
      "  import-policy-list = [\"xlb-accept-nothing\"]\n"
      "  default-import-policy = \"accept-route\"\n\n"
      "[[defined-sets.neighbor-sets]]\n"
      "  neighbor-set-name = \"xlb-any-peer\"\n"
      "  neighbor-info-list = [\"0.0.0.0/0\", \"::/0\"]\n\n"
      "[[policy-definitions]]\n"
      "  name = \"xlb-accept-nothing\"\n"
      "  [[policy-definitions.statements]]\n"
      "    name = \"from-peers\"\n"
      "    [policy-definitions.statements.conditions.match-neighbor-set]\n"
      "      neighbor-set = \"xlb-any-peer\"\n"
      "    [policy-definitions.statements.actions]\n"
      "      route-disposition = \"reject-route\"\n";
  for (const auto& n : cfg.neighbors) {
    out += "\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"" + n.address +
           "\"\n    peer-as = " + std::to_string(n.remote_as) + "\n";
    // Validation allows only printable characters without quotes or backslashes.
    if (!n.password.empty()) out += "    auth-password = \"" + n.password + "\"\n";
    // Keepalives every third of the hold time; reconnect within a second after a reset (the
    // default waits 30 s, long after the router could use this node again).
    out +=
        "  [neighbors.timers.config]\n    hold-time = " + std::to_string(n.hold_time_s) +
        "\n    keepalive-interval = " + std::to_string(std::max<uint32_t>(1, n.hold_time_s / 3)) +
        "\n    connect-retry = 1\n    idle-hold-time-after-reset = 1\n";
    out += "  [neighbors.transport.config]\n    remote-port = " + std::to_string(n.remote_port) +
           "\n    passive-mode = false\n";
    // An IPv4 session carries both unicast families: IPv6 VIPs travel as /128 over it (MP-BGP,
    // with an IPv4-mapped next hop). An IPv6 session carries IPv6 VIPs only: an IPv4 route
    // needs an IPv4 next hop, which an IPv6 session has not got (RFC 8950's extended next hop
    // is not something every router takes); peer over IPv4 too for IPv4 VIPs.
    const bool v6_session = family_of(n.address) == XLB_AF_INET6;
    for (const char* afi : {"ipv4-unicast", "ipv6-unicast"}) {
      if (v6_session && std::string_view(afi) == "ipv4-unicast") continue;
      out += std::string("  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n") +
             "      afi-safi-name = \"" + afi + "\"\n";
    }
  }
  return out;
}

}  // namespace xlb::bgp

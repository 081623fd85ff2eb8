// DSR checks: the endpoint answers the client itself, so xlb should see only one direction.
#include "diagnose/checks.h"
#include "diagnose/dsr_path.h"

namespace xlb::diagnose {
namespace {

const char* dsr_path_name(DsrPath p) { return p == DsrPath::l2 ? "L2" : "IPIP"; }

// Where this host's main table sends `ip`, in words.
std::string dsr_route_text(const Snapshot& s, const std::string& ip) {
  const RouteFact* r = s.net.route_to(ip);
  if (!r || !r->found) return "no route to " + ip + " in the main table";
  if (r->via.empty()) return "route to " + ip + ": on-link on " + r->dev;
  return "route to " + ip + ": via " + r->via + " on " + r->dev;
}

// The datapath sent an endpoint's DSR packets only the other way than this host's routes
// predict (the way `get lb -o wide` shows): it follows the kernel's FIB, which may see what the
// prediction does not (policy routing, other tables), or the routes changed since.
void check_dsr_path(const Snapshot& s, const model::Service& svc, const EndpointStatus& ep,
                    Report& r) {
  const auto predicted = predict_dsr_path(svc, s.net, ep.endpoint.ip);
  if (!predicted) return;
  const bool l2 = *predicted == DsrPath::l2;
  const uint64_t as_predicted = l2 ? ep.dsr.l2 : ep.dsr.ipip;
  const uint64_t other_way = l2 ? ep.dsr.ipip : ep.dsr.l2;
  if (as_predicted != 0 || other_way == 0) return;
  const DsrPath actual = l2 ? DsrPath::ipip : DsrPath::l2;
  const std::string text = endpoint_text(ep.endpoint.ip, ep.endpoint.port);
  r.findings.push_back(
      {Severity::warning,
       "dsr_path_mismatch",
       "DSR endpoint " + text + " of rule " + model::display_name(svc) + " is reached over " +
           dsr_path_name(actual) + ", not over " + dsr_path_name(*predicted) +
           " as this host's routes say (and get lb -o wide shows).",
       {svc.dsr_ipip ? std::string("the rule forces IPIP (--dsr=ipip).")
                     : dsr_route_text(s, ep.endpoint.ip) + ".",
        "datapath: " + std::to_string(ep.dsr.l2) + " packets sent over L2, " +
            std::to_string(ep.dsr.ipip) +
            " tunnelled (IPIP), since the rule was created or the datapath loaded."},
       "the datapath asks the kernel's FIB per packet, including policy routing rules and "
       "other tables the main-table prediction does not read: compare `ip route get " +
           ep.endpoint.ip +
           "` with `ip rule`; an L2 endpoint needs an on-link route, an IPIP one a backend "
           "running xlb-decap. If the routes changed, the counts catch up as packets flow."});
}

// The datapath saw packets sent from VIP:port of a DSR rule: a backend's replies are routed
// through this host. The counter covers every DSR rule, so one finding names the queried ones.
void check_replies_via_lb(const Snapshot& s, const Rules& rules, Report& r) {
  const uint64_t n = counter(s, XLB_STAT_PASS_DSR_REPLY);
  if (n == 0) return;
  std::vector<std::string> dsr_rules;
  for (const ServiceStatus* st : rules) {
    if (st->service.mode == model::Mode::dsr) dsr_rules.push_back(model::display_name(st->service));
  }
  if (dsr_rules.empty()) return;
  r.findings.push_back(
      {Severity::problem,
       "dsr_replies_via_lb",
       "DSR replies are passing through the LB: backends route their answers to the clients via "
       "this host, so DSR saves nothing and this host carries (or drops) the reply traffic.",
       {"pass_dsr_reply = " + std::to_string(n) +
            ": packets sent from the VIP:port of a DSR rule reached xlb and were handed to the "
            "kernel (all DSR rules, since the datapath was loaded).",
        "DSR rules queried: " + join(dsr_rules) + "."},
       "the LB must not be the backends' gateway for DSR: on each backend, route the clients' "
       "addresses (or the default route) via the network's router, not via this host; or use "
       "--mode=default (NAT) if this host must stay their gateway."});
}

}  // namespace

void check_dsr(const Snapshot& s, const Rules& rules, Report& r) {
  check_replies_via_lb(s, rules, r);
  for (const ServiceStatus* st : rules) {
    const model::Service& svc = st->service;
    if (svc.mode != model::Mode::dsr) continue;
    for (const auto& ep : st->endpoints) {
      const std::string text = endpoint_text(ep.endpoint.ip, ep.endpoint.port);
      if (ep.endpoint.port != svc.key.port) {
        r.findings.push_back(
            {Severity::problem,
             "dsr_port_translation",
             "Rule " + model::display_name(svc) + " is DSR but sends port " +
                 std::to_string(svc.key.port) + " to " + text +
                 ": DSR cannot translate ports, the backend answers from the port it received.",
             {"rule port " + std::to_string(svc.key.port) + ", endpoint port " +
              std::to_string(ep.endpoint.port) + "."},
             "use the same port on the backend, or --mode=fullnat to translate it."});
      }
      check_dsr_path(s, svc, ep, r);
      const NeighbourFact* n = s.net.neighbour_of(ep.endpoint.ip);
      if (predict_dsr_path(svc, s.net, ep.endpoint.ip) == DsrPath::l2 && neighbour_failed(n)) {
        r.findings.push_back(
            {Severity::problem,
             "dsr_l2_unreachable",
             "L2-DSR backend " + ep.endpoint.ip + " is not reachable at layer 2 on " + n->dev +
                 ": frames for the VIP cannot be delivered to it.",
             {"neighbour entry of " + ep.endpoint.ip + " on " + n->dev + ": " +
              to_string(n->state) + "."},
             "L2-DSR needs every backend on a link of this host: check its address and cabling, "
             "or use --dsr=ipip for routed backends."});
        continue;
      }
      const EndpointFlows* ef = flows_to(s, ep.endpoint.ip, ep.endpoint.port);
      if (ef && ef->unanswered) {
        r.findings.push_back(
            {Severity::problem,
             "dsr_no_handshake",
             "Clients never complete the handshake with DSR backend " + text +
                 ": it must accept packets addressed to the VIP and answer from it.",
             {std::to_string(ef->unanswered) + " flows to " + text +
              " are in syn-sent (the oldest for " + seconds(ef->oldest_unanswered_s) +
              "): the clients' ACK never followed; clients: " + join(ef->sample_clients) + "."},
             "on the backend: put " + backend_vip_setup(svc.key.vip) +
                 " (L2-DSR), or run xlb-decap (L3-DSR, IPIP); its replies must go to the "
                 "clients directly."});
      }
    }
  }
}

}  // namespace xlb::diagnose

// The findings, one check per function, in the order an operator would walk the path: is there
// a rule, can clients reach the VIP, are the endpoints alive, do replies come back, is anything
// running out.
#include <algorithm>
#include <cstdio>

#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

void check_rules(const Snapshot& s, Report& r) {
  const Query& q = s.query;
  bool any = std::any_of(s.rules_on_vip.begin(), s.rules_on_vip.end(),
                         [&q](const ServiceStatus& st) { return q.matches(st.service.key); });
  if (any) return;
  Finding f{Severity::problem,
            "no_rule",
            "No rule for " + q.describe() + ": xlb does not balance it.",
            {},
            ""};
  if (s.rules_on_vip.empty()) {
    f.evidence.push_back(q.vip + " is in no rule.");
    if (!s.other_vips.empty()) f.evidence.push_back("VIPs with rules: " + join(s.other_vips) + ".");
  } else {
    std::vector<std::string> keys;
    for (const auto& st : s.rules_on_vip) keys.push_back(model::to_string(st.service.key));
    f.evidence.push_back("rules on " + q.vip + ": " + join(keys) + ".");
  }
  if (const uint64_t n = counter(s, XLB_STAT_PASS_NO_RULE)) {
    f.evidence.push_back("pass_no_rule = " + std::to_string(n) +
                         ": packets reached a VIP on a port/protocol without a rule (all VIPs) and "
                         "were handed to the kernel.");
  }
  f.fix = "create it, e.g. xlbctl create lb " + q.vip + " --" +
          (q.protocol ? model::to_string(*q.protocol) : std::string("tcp")) + "=" +
          (q.port ? std::to_string(*q.port) : std::string("<port>")) +
          ":<targetPort> --endpoints=<ip>:<weight>; or diagnose the address and port clients use.";
  r.findings.push_back(std::move(f));
}

void check_reachability(const Snapshot& s, const std::vector<const ServiceStatus*>& rules,
                        Report& r) {
  const NetFacts& net = s.net;
  if (net.checked && net.managed_interfaces.empty()) {
    r.findings.push_back({Severity::problem,
                          "not_attached",
                          "xlb is attached to no interface: nothing answers ARP for " +
                              s.query.vip + " or balances its traffic.",
                          {"xlbd manages no interface."},
                          "start xlbd with --interfaces=<the interfaces clients and endpoints are "
                          "reached through>, or check that they exist and are up."});
  }
  if (net.checked) {
    const Subnet* sub = net.subnet_of(s.query.vip);
    const auto& managed = net.managed_interfaces;
    if (sub && !managed.empty() &&
        std::find(managed.begin(), managed.end(), sub->dev) == managed.end()) {
      // On-link clients ARP for the VIP on that link; only a managed interface answers.
      r.findings.push_back(
          {Severity::problem,
           "vip_arp_unanswered",
           s.query.vip + " is on the connected subnet " + sub->prefix + " of " + sub->dev +
               ", which xlb does not manage: nobody answers " + neighbour_protocol(s.query.vip) +
               " for it there, so clients on that "
               "subnet cannot reach it.",
           {"xlbd manages " + join(managed) + "; " + s.query.vip + " belongs to " + sub->dev +
            "'s subnet."},
           "add " + sub->dev +
               " to xlbd --interfaces (or start it without --interfaces to manage every "
               "interface), or choose a VIP outside " +
               sub->prefix + "."});
    } else if (sub) {
      r.findings.push_back({Severity::info,
                            "vip_on_link",
                            s.query.vip + " is on the connected subnet " + sub->prefix + " (" +
                                sub->dev + "): clients there resolve it by " +
                                neighbour_protocol(s.query.vip) + ", which xlb answers.",
                            {},
                            ""});
    } else {
      r.findings.push_back(
          {Severity::info,
           "vip_routed",
           s.query.vip + " is on none of this host's subnets: clients reach it only through a "
                         "route whose next hop is this host.",
           {},
           "on the clients (or their router): " + route_command(s.query.vip) + " add " +
               host_prefix(s.query.vip) + " via <an address of this host>."});
    }
  }
  uint64_t packets = 0;
  bool endpoint_unroutable = false;  // its packets arrive but pass uncounted: no_route_endpoint
  // fullproxy rules: the datapath hands their packets to xlb-proxy without a per-rule count
  // (pass_proxy, all fullproxy VIPs; per rule: xlb_l7_requests_total).
  bool all_proxied = !rules.empty();
  for (const auto* st : rules) {
    all_proxied &= model::is_l7(st->service);
    packets += st->counter.packets;
    for (const auto& ep : st->endpoints) {
      const RouteFact* route = net.route_to(ep.endpoint.ip);
      endpoint_unroutable |= route && !route->found;
    }
  }
  const uint64_t proxied = counter(s, XLB_STAT_PASS_PROXY);
  if (all_proxied) packets = proxied;
  if (packets == 0 && s.flows.empty() && !endpoint_unroutable && !ha_standby(s)) {
    Finding f{Severity::warning,
              "no_traffic",
              "No packet for " + s.query.describe() + " has reached xlb yet.",
              {all_proxied ? "pass_proxy = 0: no packet was handed to xlb-proxy (all fullproxy "
                             "VIPs)."
                           : "the rule's packet counter is 0 and no flow is tracked."},
              "send traffic from a client; if it still does not arrive, check the client's route "
              "to " +
                  s.query.vip + " (on-link: " + neighbour_protocol(s.query.vip) +
                  "; else a route via this host)."};
    f.evidence.push_back("arp_reply = " + std::to_string(counter(s, XLB_STAT_ARP_REPLY)) +
                         " (ARP answers for all VIPs).");
    r.findings.push_back(std::move(f));
  }
}

}  // namespace

std::string to_string(Severity s) {
  switch (s) {
    case Severity::ok:
      return "ok";
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::problem:
      return "problem";
  }
  return "info";
}

bool Report::healthy() const {
  return std::none_of(findings.begin(), findings.end(), [](const Finding& f) {
    return f.severity == Severity::warning || f.severity == Severity::problem;
  });
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

uint64_t counter(const Snapshot& s, xlb_dp_stat stat) { return s.counters.at(stat); }

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", s);
  return buf;
}

Report analyze(const Snapshot& s) {
  Report r;
  r.target = s.query.describe();
  r.checked = {"rules on " + s.query.vip,  "endpoint states and health checks",
               "tracked flows to the VIP", "conntrack fill and FullNAT source ports",
               "datapath drop counters",   "HA state and what the --cluster peers report"};
  if (s.net.checked) {
    r.checked.push_back(
        "managed interfaces, connected subnets, main-table routes to endpoints "
        "and clients, neighbour entries of on-link endpoints");
  } else {
    r.checked.push_back("NOT routes and neighbours: " + s.net.error);
  }
  check_rules(s, r);
  std::vector<const ServiceStatus*> rules;
  for (const auto& st : s.rules_on_vip) {
    if (s.query.matches(st.service.key)) rules.push_back(&st);
  }
  if (!rules.empty()) {
    check_reachability(s, rules, r);
    check_endpoints(s, rules, r);
    check_flows(s, rules, r);
    check_dsr(s, rules, r);
  }
  check_capacity(s, r);
  check_drops(s, r);
  check_ha(s, r);
  check_ct_sync(s, r);
  check_store(s, r);
  check_attach(s, r);
  if (r.healthy()) {
    uint64_t est = 0, flows = 0;
    for (const auto& ef : s.flows) {
      flows += ef.flows;
      auto it = ef.by_state.find(XLB_CT_EST);
      if (it != ef.by_state.end()) est += it->second;
    }
    r.findings.insert(r.findings.begin(), Finding{Severity::ok,
                                                  "healthy",
                                                  r.target + " looks healthy.",
                                                  {std::to_string(flows) + " tracked flows, " +
                                                   std::to_string(est) + " established."},
                                                  ""});
  }
  return r;
}

nlohmann::json to_json(const Report& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings) {
    findings.push_back({{"severity", to_string(f.severity)},
                        {"code", f.code},
                        {"title", f.title},
                        {"evidence", f.evidence},
                        {"fix", f.fix}});
  }
  return {{"target", report.target},
          {"healthy", report.healthy()},
          {"findings", std::move(findings)},
          {"checked", report.checked}};
}

}  // namespace xlb::diagnose

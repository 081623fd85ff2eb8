// Endpoint and flow checks: is anyone listening, do answers come back.
#include <algorithm>

#include "common/ip.h"
#include "diagnose/checks.h"

namespace xlb::diagnose {
namespace {

bool eligible(const EndpointStatus& ep) {
  return ep.endpoint.state == model::EndpointState::up &&
         !(ep.health && ep.health->state == health::TargetState::down);
}

std::string refuse_title(const std::string& ep) {
  return "backend " + ep + " refuses connections: is the service listening on that port?";
}

void check_no_endpoint(const Snapshot& s, const ServiceStatus& st, Report& r) {
  std::vector<std::string> states;
  for (const auto& ep : st.endpoints) {
    if (eligible(ep)) return;
    std::string why = ep.endpoint.state != model::EndpointState::up
                          ? model::to_string(ep.endpoint.state) + " (operator)"
                          : "down (health check)";
    states.push_back(endpoint_text(ep.endpoint.ip, ep.endpoint.port) + " " + why);
  }
  Finding f{Severity::problem,
            "no_endpoint",
            "Rule " + model::display_name(st.service) +
                " has no endpoint able to take new flows: they are dropped.",
            {},
            "bring an endpoint up (xlbctl set ep <ip> --state=up) or fix the failing backends."};
  if (states.empty()) f.evidence.push_back("the rule lists no endpoint.");
  for (const auto& line : states) f.evidence.push_back(line + ".");
  f.evidence.push_back("drop_no_endpoint = " +
                       std::to_string(counter(s, XLB_STAT_DROP_NO_ENDPOINT)) + " (all rules).");
  r.findings.push_back(std::move(f));
}

void check_endpoint(const Snapshot& s, const ServiceStatus& st, const EndpointStatus& ep,
                    Report& r) {
  const std::string text = endpoint_text(ep.endpoint.ip, ep.endpoint.port);
  const EndpointFlows* flows = flows_to(s, ep.endpoint.ip, ep.endpoint.port);
  const bool probe_down = ep.health && ep.health->state == health::TargetState::down;
  const bool probe_refused =
      probe_down && ep.health->last_error.find("refused") != std::string::npos;
  const bool flows_refused = flows && flows->refused > 0;

  if (probe_refused || flows_refused) {
    Finding f{Severity::problem,
              "endpoint_refuses",
              refuse_title(text),
              {},
              "start the service on " + text +
                  ", or correct the rule's target port; with "
                  "--monitor xlb stops sending new flows to a refusing backend."};
    if (probe_down) {
      f.evidence.push_back(ep.health->probe + " health check: down, last error \"" +
                           ep.health->last_error + "\".");
    }
    if (flows_refused) {
      f.evidence.push_back(std::to_string(flows->refused) +
                           " flows were answered by the backend with a TCP RST and nothing else "
                           "(conntrack state closed), e.g. from " +
                           join(flows->sample_clients) + ".");
    }
    r.findings.push_back(std::move(f));
  } else if (probe_down) {
    r.findings.push_back(
        {Severity::problem,
         "endpoint_down",
         "backend " + text + " fails its health check.",
         {ep.health->probe + " health check: down, last error \"" + ep.health->last_error + "\"."},
         "check that the backend is up and its service answers on " + text + "."});
  }

  if (!s.net.checked) return;
  if (const RouteFact* route = s.net.route_to(ep.endpoint.ip); route && !route->found) {
    r.findings.push_back({Severity::problem,
                          "no_route_endpoint",
                          "This host has no route to backend " + ep.endpoint.ip +
                              ": its flows are handed to the kernel untranslated.",
                          {"no main-table route matches " + ep.endpoint.ip + "."},
                          "add a route to " + ep.endpoint.ip + " on this host."});
  }
  const NeighbourFact* n = s.net.neighbour_of(ep.endpoint.ip);
  if (st.service.mode != model::Mode::dsr && neighbour_failed(n)) {
    r.findings.push_back({Severity::problem,
                          "endpoint_unreachable",
                          "backend " + ep.endpoint.ip + " does not answer " +
                              neighbour_protocol(ep.endpoint.ip) + " on " + n->dev +
                              ": it is down or not on that link.",
                          {"neighbour entry of " + ep.endpoint.ip + " on " + n->dev + ": " +
                           to_string(n->state) + "."},
                          "check the backend's address and link, or remove it from the rule."});
  }
}

void check_unanswered(const Snapshot& s, const EndpointFlows& ef, Report& r) {
  const std::string text = endpoint_text(ef.endpoint, ef.port);
  if (neighbour_failed(s.net.neighbour_of(ef.endpoint))) return;  // endpoint_unreachable says it
  std::vector<std::string> evidence = {std::to_string(ef.unanswered) + " flows to " + text +
                                       " are in syn-sent (the oldest for " +
                                       seconds(ef.oldest_unanswered_s) +
                                       ") and no packet ever came back from the endpoint "
                                       "through xlb; clients: " +
                                       join(ef.sample_clients) + "."};
  if (ef.mode == model::Mode::nat) {
    // Replies that reach xlb but cannot be routed to the client: no_route_client says so.
    if (!ef.sample_clients.empty() &&
        std::all_of(ef.sample_clients.begin(), ef.sample_clients.end(), [&s](const auto& c) {
          const RouteFact* route = s.net.route_to(c);
          return route && !route->found;
        })) {
      return;
    }
    for (const auto& client : ef.sample_clients) {
      const Subnet* sub = s.net.subnet_of(client);
      if (sub && sub->contains(ef.endpoint)) {
        evidence.push_back("client " + client + " and backend " + ef.endpoint + " are both on " +
                           sub->prefix + ": the backend answers the client directly.");
        break;
      }
    }
    r.findings.push_back(
        {Severity::problem, "nat_replies_bypass",
         "replies are not returning through the LB: in NAT mode the backend must route the "
         "client's address via the LB (its default gateway), or the client is on the backend's "
         "own subnet — use fullnat or dsr",
         std::move(evidence),
         "make this host the backends' route to the clients (default gateway), or recreate the "
         "rule with --mode=fullnat (replies return by themselves) or --mode=dsr."});
  } else if (ef.mode == model::Mode::fullnat) {
    r.findings.push_back({Severity::problem, "endpoint_silent",
                          "backend " + text +
                              " never answers: it is down, or something drops "
                              "its traffic.",
                          std::move(evidence),
                          "check that " + text +
                              " is up and that no firewall drops SYNs from "
                              "this host's SNAT address (or its replies)."});
  }
}

}  // namespace

std::string endpoint_text(const std::string& ip, uint16_t port) { return ip_with_port(ip, port); }

const EndpointFlows* flows_to(const Snapshot& s, const std::string& ip, uint16_t port) {
  for (const auto& ef : s.flows) {
    if (ef.endpoint == ip && ef.port == port) return &ef;
  }
  return nullptr;
}

bool neighbour_failed(const NeighbourFact* n) {
  return n && (n->state == NeighbourState::failed || n->state == NeighbourState::incomplete);
}

void check_endpoints(const Snapshot& s, const Rules& rules, Report& r) {
  for (const ServiceStatus* st : rules) {
    check_no_endpoint(s, *st, r);
    for (const auto& ep : st->endpoints) check_endpoint(s, *st, ep, r);
  }
}

void check_flows(const Snapshot& s, const Rules&, Report& r) {
  std::vector<std::string> no_route;
  for (const auto& ef : s.flows) {
    if (ef.unanswered && ef.mode != model::Mode::dsr) check_unanswered(s, ef, r);
    if (!s.net.checked || ef.mode != model::Mode::nat) continue;
    // NAT keeps the client's address: replies leave this host toward the client.
    for (const auto& client : ef.clients) {
      const RouteFact* route = s.net.route_to(client);
      if (route && !route->found &&
          std::find(no_route.begin(), no_route.end(), client) == no_route.end()) {
        no_route.push_back(client);
      }
    }
  }
  if (!no_route.empty()) {
    r.findings.push_back({Severity::problem,
                          "no_route_client",
                          "This host has no route back to clients " + join(no_route) +
                              ": NAT replies to them cannot be forwarded.",
                          {"no main-table route matches " + join(no_route) + "."},
                          "add a route (or default route) toward the clients on this host."});
  }
}

}  // namespace xlb::diagnose

#include "diagnose/dsr_path.h"

#include <vector>

#include "diagnose/net_facts.h"

namespace xlb::diagnose {

std::optional<DsrPath> predict_dsr_path(const model::Service& svc, const NetFacts& net,
                                        const std::string& endpoint_ip) {
  if (svc.dsr_ipip) return DsrPath::ipip;
  if (!net.checked) return std::nullopt;
  const RouteFact* route = net.route_to(endpoint_ip);
  const bool on_link = route && route->found && route->via.empty();
  return on_link ? DsrPath::l2 : DsrPath::ipip;
}

std::string effective_mode(const model::Service& svc, const NetFacts& net) {
  if (model::is_nat64(svc)) return "fullnat:nat64";  // validation admits it in fullnat only
  if (svc.mode != model::Mode::dsr) return model::to_string(svc.mode);
  bool l2 = false, ipip = false, unknown = false;
  for (const auto& ep : svc.endpoints) {
    auto path = predict_dsr_path(svc, net, ep.ip);
    (path ? (*path == DsrPath::l2 ? l2 : ipip) : unknown) = true;
  }
  if (unknown) return "dsr";
  if (l2 && ipip) return "dsr:l2,ipip";
  return ipip ? "dsr:ipip" : "dsr:l2";
}

std::string effective_mode_here(const model::Service& svc) {
  if (svc.mode != model::Mode::dsr || svc.dsr_ipip) return effective_mode(svc, NetFacts{});
  std::vector<std::string> endpoints;
  for (const auto& ep : svc.endpoints) endpoints.push_back(ep.ip);
  return effective_mode(svc, gather_net_facts({}, endpoints, {}));
}

}  // namespace xlb::diagnose

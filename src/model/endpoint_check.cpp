#include "model/endpoint_check.h"

#include <algorithm>

namespace xlb::model {
namespace {

bool uses_port(health::ProbeType t) {
  return t != health::ProbeType::none && t != health::ProbeType::ping;
}

EndpointCheck check_of(const EndpointProbe& probe, uint16_t port) {
  EndpointCheck c{"", probe.probe, probe.name};
  c.spec.ip = probe.ip;
  c.spec.port = uses_port(c.spec.type) ? (probe.probe.port != 0 ? probe.probe.port : port) : 0;
  c.id = c.spec.port == 0 ? probe.ip : probe.ip + ":" + std::to_string(c.spec.port);
  return c;
}

}  // namespace

const EndpointProbe* find_probe(const std::vector<EndpointProbe>& probes, const std::string& ip) {
  auto it = std::find_if(probes.begin(), probes.end(),
                         [&ip](const EndpointProbe& p) { return p.ip == ip; });
  return it == probes.end() ? nullptr : &*it;
}

std::optional<EndpointCheck> endpoint_check(const std::vector<EndpointProbe>& probes,
                                            const Service& svc, const Endpoint& ep) {
  if (const EndpointProbe* own = find_probe(probes, ep.ip)) return check_of(*own, ep.port);
  if (!svc.monitor) return std::nullopt;
  EndpointCheck c;
  c.spec.type = health::ProbeType::tcp;  // engine defaults: period 5 s, timeout 2 s, 2/2
  c.spec.ip = ep.ip;
  c.spec.port = ep.port;
  c.id = ep.ip + ":" + std::to_string(ep.port);
  return c;
}

std::optional<EndpointCheck> standalone_check(const EndpointProbe& probe) {
  if (uses_port(probe.probe.type) && probe.probe.port == 0) return std::nullopt;
  return check_of(probe, 0);
}

}  // namespace xlb::model

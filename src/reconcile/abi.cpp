#include "reconcile/abi.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/ip.h"
#include "model/limits.h"
#include "select/maglev.h"
#include "select/svc_value.h"

namespace xlb {
namespace {

uint8_t abi_mode(model::Mode m) {
  switch (m) {
    case model::Mode::nat:
      return XLB_MODE_NAT;
    case model::Mode::fullnat:
      return XLB_MODE_FULLNAT;
    case model::Mode::dsr:
      return XLB_MODE_DSR;
    case model::Mode::fullproxy:
      return XLB_MODE_PROXY;
  }
  return XLB_MODE_NAT;
}

uint8_t abi_select(model::Select s) {
  switch (s) {
    case model::Select::rr:
      return XLB_SEL_RR;
    case model::Select::priority:
      return XLB_SEL_PRIORITY;
    case model::Select::hash:
      return XLB_SEL_HASH;
    case model::Select::persist:
      return XLB_SEL_PERSIST;
    case model::Select::lc:
      return XLB_SEL_LC;
    case model::Select::maglev:
      return XLB_SEL_MAGLEV;
  }
  return XLB_SEL_RR;
}

uint8_t abi_state(model::EndpointState s) {
  switch (s) {
    case model::EndpointState::up:
      return XLB_EP_UP;
    case model::EndpointState::down:
      return XLB_EP_DOWN;
    case model::EndpointState::draining:
      return XLB_EP_DRAINING;
  }
  return XLB_EP_DOWN;
}

bool in_use(const xlb_endpoint& ep) { return ep.weight > 0; }

}  // namespace

xlb_svc_key to_abi_key(const model::ServiceKey& key) {
  auto k = zeroed<xlb_svc_key>();
  const IpAddress vip = parse_ip(key.vip).value_or(IpAddress{});
  k.vip = vip.addr;
  k.port = htons(key.port);
  k.proto = key.protocol == model::Protocol::tcp ? IPPROTO_TCP : IPPROTO_UDP;
  k.family = vip.family;
  return k;
}

std::optional<model::ServiceKey> from_abi_key(const xlb_svc_key& key) {
  if (key.family != XLB_AF_INET && key.family != XLB_AF_INET6) return std::nullopt;
  model::ServiceKey out;
  if (key.proto == IPPROTO_TCP) {
    out.protocol = model::Protocol::tcp;
  } else if (key.proto == IPPROTO_UDP) {
    out.protocol = model::Protocol::udp;
  } else {
    return std::nullopt;
  }
  out.vip = format_ip(key.vip, key.family);
  out.port = ntohs(key.port);
  return out;
}

std::optional<uint8_t> find_endpoint(const xlb_svc& svc, const model::Endpoint& ep) {
  auto ip = parse_ip(ep.ip);
  if (!ip) return std::nullopt;
  const xlb_ip* addr = &ip->addr;
  uint32_t n = std::min<uint32_t>(svc.nr_endpoints, XLB_MAX_ENDPOINTS);
  for (uint32_t i = 0; i < n; ++i) {
    const xlb_endpoint& e = svc.eps[i];
    if (in_use(e) && e.addr == *addr && e.port == htons(ep.port)) return static_cast<uint8_t>(i);
  }
  return std::nullopt;
}

std::vector<uint8_t> endpoint_indexes(const model::Service& svc, const xlb_svc* previous) {
  std::vector<uint8_t> index(svc.endpoints.size());
  std::array<bool, XLB_MAX_ENDPOINTS> taken{};
  std::vector<size_t> fresh;
  for (size_t k = 0; k < svc.endpoints.size(); ++k) {
    auto old = previous ? find_endpoint(*previous, svc.endpoints[k]) : std::nullopt;
    if (old) {
      index[k] = *old;
      taken[*old] = true;
    } else {
      fresh.push_back(k);
    }
  }
  size_t next_free = 0;
  for (size_t k : fresh) {
    while (next_free < taken.size() && taken[next_free]) ++next_free;
    index[k] = static_cast<uint8_t>(next_free);  // validation caps endpoints at XLB_MAX_ENDPOINTS
    taken[next_free] = true;
  }
  return index;
}

xlb_svc build_svc(const model::Service& svc, uint32_t id, const xlb_svc* previous) {
  select::SvcValueSpec spec;
  spec.id = id;
  spec.mode = abi_mode(svc.mode);
  spec.select = abi_select(svc.select);
  spec.flags = (svc.ppv2 ? XLB_SVC_F_PPV2 : 0) | (svc.dsr_ipip ? XLB_SVC_F_DSR_IPIP : 0);
  spec.inactive_timeout_s = svc.inactive_timeout_s;
  spec.persist_timeout_s =
      svc.persist_timeout_s ? svc.persist_timeout_s : model::kDefaultPersistTimeoutS;
  if (svc.select == model::Select::maglev)
    spec.maglev_size = svc.maglev_size ? svc.maglev_size : model::kDefaultMaglevSize;
  for (const auto& a : svc.snat) spec.snat.push_back(parse_ip(a).value_or(IpAddress{}).addr);

  std::vector<uint8_t> index = endpoint_indexes(svc, previous);
  size_t nr = 0;
  for (uint8_t i : index) nr = std::max<size_t>(nr, i + 1u);
  auto hole = zeroed<xlb_endpoint>();
  hole.state = XLB_EP_DOWN;  // until filled
  spec.endpoints.assign(nr, hole);
  for (size_t k = 0; k < svc.endpoints.size(); ++k) {
    const model::Endpoint& ep = svc.endpoints[k];
    xlb_endpoint& e = spec.endpoints[index[k]];
    const IpAddress addr = parse_ip(ep.ip).value_or(IpAddress{});
    e.addr = addr.addr;
    e.port = htons(ep.port);
    e.weight = ep.weight;
    e.state = abi_state(ep.state);
    e.family = addr.family;
  }
  xlb_svc out = select::encode_svc(spec);
  // A changed maglev rule moves to its other table, so the rule and its table change together.
  if (previous && previous->select == XLB_SEL_MAGLEV && out.select == XLB_SEL_MAGLEV) {
    out.maglev_gen = previous->maglev_gen;
    if (!same_bytes(out, *previous)) out.maglev_gen ^= 1;
  }
  return out;
}

std::vector<uint32_t> build_maglev_table(const xlb_svc& dp) {
  std::vector<select::MaglevBackend> backends;
  uint32_t n = std::min<uint32_t>(dp.nr_endpoints, XLB_MAX_ENDPOINTS);
  for (uint32_t i = 0; i < n; ++i) {
    const xlb_endpoint& e = dp.eps[i];
    if (!in_use(e) || e.state != XLB_EP_UP) continue;
    // Placement depends on the endpoint's address only, so every node agrees.
    backends.push_back({i, format_ip_port(e.addr, e.family, ntohs(e.port)), e.weight});
  }
  return select::build_maglev(backends, dp.maglev_size);
}

bool same_bytes(const xlb_svc& a, const xlb_svc& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

xlb_svc proxy_steering_svc() {
  select::SvcValueSpec spec;
  spec.mode = XLB_MODE_PROXY;  // no endpoints: the datapath balances nothing here
  return select::encode_svc(spec);
}

model::Mode mode_from_abi(uint8_t mode) {
  // The inverse of abi_mode, so the two directions cannot disagree.
  for (model::Mode m :
       {model::Mode::nat, model::Mode::fullnat, model::Mode::dsr, model::Mode::fullproxy}) {
    if (abi_mode(m) == mode) return m;
  }
  return model::Mode::nat;
}

}  // namespace xlb

#include "proxy/runtime.h"

#include <arpa/inet.h>

namespace xlb::proxy {

bool RuntimeRule::trusts(const IpAddress& client) const {
  for (const auto& cidr : trusted) {
    if (cidr.contains(client)) return true;
  }
  return false;
}

const RuntimeRule* RuntimeConfig::route(uint32_t vip, uint16_t port, std::string_view host) const {
  auto it = by_listener.find({vip, port});
  if (it == by_listener.end()) return nullptr;
  const RuntimeRule* fallback = nullptr;
  for (size_t i : it->second) {
    const RuntimeRule& r = rules[i];
    if (r.service.key.host == host) return &r;
    if (r.service.key.host.empty()) fallback = &r;
  }
  return fallback;
}

bool RuntimeConfig::trusts_on_listener(uint32_t vip, uint16_t port, uint32_t peer) const {
  auto it = by_listener.find({vip, port});
  if (it == by_listener.end()) return false;
  IpAddress peer_ip;  // the listener is IPv4, so is its TCP peer
  peer_ip.addr.w[0] = htonl(peer);
  for (size_t i : it->second) {
    if (rules[i].trusts(peer_ip)) return true;
  }
  return false;
}

bool RuntimeConfig::is_tls(uint32_t vip, uint16_t port) const {
  auto it = by_listener.find({vip, port});
  return it != by_listener.end() && !it->second.empty() &&
         rules[it->second.front()].service.security != model::Security::none;
}

std::shared_ptr<const TlsListener> RuntimeConfig::tls_for(uint32_t vip, uint16_t port) const {
  auto it = tls.find({vip, port});
  return it == tls.end() ? nullptr : it->second;
}

std::shared_ptr<const RuntimeConfig> build_runtime(const ProxyConfig& config,
                                                   StatsRegistry& registry) {
  auto rt = std::make_shared<RuntimeConfig>();
  rt->limits = config.limits;
  std::map<std::pair<uint32_t, uint16_t>, std::shared_ptr<TlsListener>> tls;
  for (const auto& svc : config.rules) {
    RuntimeRule r;
    r.service = svc;
    r.key = model::to_string(svc.key);
    for (const auto& text : svc.xff_trusted) {
      if (auto cidr = parse_ip_cidr(text)) r.trusted.push_back(*cidr);
    }
    r.stats = registry.rule(r.key);
    const auto vip = parse_ipv4(svc.key.vip);
    const std::pair<uint32_t, uint16_t> listener{vip ? ntohl(vip->w[0]) : 0, svc.key.port};
    rt->by_listener[listener].push_back(rt->rules.size());
    rt->rules.push_back(std::move(r));
    if (svc.security == model::Security::none) continue;
    auto ctx = load_server_context(svc.tls_cert, svc.tls_key);
    if (!ctx) {
      rt->tls_errors.push_back(model::to_string(svc.key) + ": " + ctx.error().message);
      continue;
    }
    auto& group = tls[listener];
    if (!group) group = std::make_shared<TlsListener>();
    group->add(svc.key.host, std::move(*ctx));
  }
  rt->tls.insert(tls.begin(), tls.end());
  return rt;
}

void ConfigStore::publish(std::shared_ptr<const RuntimeConfig> config) {
  std::lock_guard lock(mu_);
  current_ = std::move(config);
  generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const RuntimeConfig> ConfigStore::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace xlb::proxy

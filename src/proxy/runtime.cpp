#include "proxy/runtime.h"

#include <arpa/inet.h>

namespace xlb::proxy {

bool RuntimeRule::trusts(uint32_t host_order_addr) const {
  for (const auto& cidr : trusted) {
    if (cidr.contains(host_order_addr)) return true;
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
  for (size_t i : it->second) {
    if (rules[i].trusts(peer)) return true;
  }
  return false;
}

std::shared_ptr<const RuntimeConfig> build_runtime(const ProxyConfig& config,
                                                   StatsRegistry& registry) {
  auto rt = std::make_shared<RuntimeConfig>();
  rt->limits = config.limits;
  for (const auto& svc : config.rules) {
    RuntimeRule r;
    r.service = svc;
    r.key = model::to_string(svc.key);
    for (const auto& text : svc.xff_trusted) {
      if (auto cidr = parse_ipv4_cidr(text)) r.trusted.push_back(*cidr);
    }
    r.stats = registry.rule(r.key);
    const auto vip = parse_ipv4(svc.key.vip);
    rt->by_listener[{vip ? ntohl(vip->w[0]) : 0, svc.key.port}].push_back(rt->rules.size());
    rt->rules.push_back(std::move(r));
  }
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

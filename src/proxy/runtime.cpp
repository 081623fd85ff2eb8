#include "proxy/runtime.h"

#include <sys/stat.h>

namespace xlb::proxy {

bool RuntimeRule::trusts(const IpAddress& client) const {
  for (const auto& cidr : trusted) {
    if (cidr.contains(client)) return true;
  }
  return false;
}

const RuntimeRule* RuntimeConfig::route(const IpPortKey& listener, std::string_view host) const {
  auto it = by_listener.find(listener);
  if (it == by_listener.end()) return nullptr;
  const RuntimeRule* fallback = nullptr;
  for (size_t i : it->second) {
    const RuntimeRule& r = rules[i];
    if (r.service.key.host == host) return &r;
    if (r.service.key.host.empty()) fallback = &r;
  }
  return fallback;
}

bool RuntimeConfig::trusts_on_listener(const IpPortKey& listener, const IpAddress& peer) const {
  auto it = by_listener.find(listener);
  if (it == by_listener.end()) return false;
  for (size_t i : it->second) {
    if (rules[i].trusts(peer)) return true;
  }
  return false;
}

bool RuntimeConfig::is_tls(const IpPortKey& listener) const {
  auto it = by_listener.find(listener);
  return it != by_listener.end() && !it->second.empty() &&
         rules[it->second.front()].service.security != model::Security::none;
}

std::shared_ptr<const TlsListener> RuntimeConfig::tls_for(const IpPortKey& listener) const {
  auto it = tls.find(listener);
  return it == tls.end() ? nullptr : it->second;
}

std::vector<TlsCertificateExpiry> RuntimeConfig::certificates() const {
  std::vector<TlsCertificateExpiry> out;
  for (const auto& r : rules) {
    auto days = certificate_days_left(r.server_tls.get());
    if (days) out.push_back({r.key, r.service.tls_cert, *days});
  }
  return out;
}

std::string tls_files_stamp(const model::Service& svc) {
  if (svc.security == model::Security::none) return "";
  std::string stamp;
  for (const std::string* path : {&svc.tls_cert, &svc.tls_key, &svc.backend_ca}) {
    struct stat st {};
    if (path->empty() || stat(path->c_str(), &st) != 0) {
      stamp += "-;";
      continue;
    }
    stamp += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
             std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
             std::to_string(st.st_mode & 07777) + ";";
  }
  return stamp;
}

namespace {

bool same_server_tls(const model::Service& a, const model::Service& b) {
  return a.security != model::Security::none && a.tls_cert == b.tls_cert && a.tls_key == b.tls_key;
}

bool same_backend_tls(const model::Service& a, const model::Service& b) {
  return a.security == model::Security::e2ehttps && b.security == a.security &&
         a.backend_ca == b.backend_ca && a.backend_name == b.backend_name &&
         a.insecure_backend == b.insecure_backend;
}

// Loads the rule's contexts (or keeps `old`'s when nothing changed), recording what failed.
void load_rule_tls(RuntimeRule& r, const RuntimeRule* old, bool reload, RuntimeConfig& rt) {
  const model::Service& svc = r.service;
  r.tls_stamp = tls_files_stamp(svc);
  const bool server_same = old && same_server_tls(old->service, svc);
  const bool backend_same = old && same_backend_tls(old->service, svc);
  const bool e2e = svc.security == model::Security::e2ehttps;
  if (!reload && old && old->tls_stamp == r.tls_stamp && server_same && (!e2e || backend_same)) {
    r.server_tls = old->server_tls;
    r.backend_tls = old->backend_tls;
    return;
  }
  ++rt.tls_loaded;
  if (auto ctx = load_server_context(svc.tls_cert, svc.tls_key)) {
    r.server_tls = std::move(*ctx);
  } else {
    r.server_tls = server_same ? old->server_tls : nullptr;
    rt.tls_errors.push_back(r.key + ": " + ctx.error().message +
                            (r.server_tls ? "; the certificate loaded before stays in use" : ""));
  }
  if (!e2e) return;
  if (svc.insecure_backend) {
    rt.tls_warnings.push_back(r.key +
                              ": --insecure-backend: the endpoints' certificates are NOT "
                              "verified (anyone on the path can impersonate them)");
  }
  if (auto ctx = load_backend_context(svc)) {
    r.backend_tls = std::move(*ctx);
  } else {
    r.backend_tls = backend_same ? old->backend_tls : nullptr;
    rt.tls_errors.push_back(r.key + ": " + ctx.error().message +
                            (r.backend_tls ? "; the CA file loaded before stays in use" : ""));
  }
}

}  // namespace

std::shared_ptr<const RuntimeConfig> build_runtime(const ProxyConfig& config,
                                                   StatsRegistry& registry,
                                                   const RuntimeConfig* previous, bool reload_tls) {
  auto rt = std::make_shared<RuntimeConfig>();
  rt->limits = config.limits;
  std::map<std::string, const RuntimeRule*> before;
  if (previous) {
    for (const auto& r : previous->rules) before[r.key] = &r;
  }
  std::map<IpPortKey, std::shared_ptr<TlsListener>> tls;
  for (const auto& svc : config.rules) {
    RuntimeRule r;
    r.service = svc;
    r.key = model::to_string(svc.key);
    for (const auto& text : svc.xff_trusted) {
      if (auto cidr = parse_ip_cidr(text)) r.trusted.push_back(*cidr);
    }
    r.stats = registry.rule(r.key);
    // A VIP that does not parse (validation refuses it before) is a listener no client reaches.
    const IpPortKey listener =
        ip_port_key(parse_ip(svc.key.vip).value_or(IpAddress{{}, 0}), svc.key.port);
    if (svc.security != model::Security::none) {
      auto old = before.find(r.key);
      load_rule_tls(r, old == before.end() ? nullptr : old->second, reload_tls, *rt);
      if (r.server_tls) {
        auto& group = tls[listener];
        if (!group) group = std::make_shared<TlsListener>();
        group->add(svc.key.host, r.server_tls);
      }
    }
    rt->by_listener[listener].push_back(rt->rules.size());
    rt->rules.push_back(std::move(r));
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

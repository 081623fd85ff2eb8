#include "reconcile/reconciler.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <set>
#include <tuple>

#include "common/ip.h"
#include "model/validate.h"
#include "reconcile/abi.h"
#include "reconcile/supported.h"
#include "reconcile/undo.h"

namespace xlb {
namespace {

std::string endpoint_id(const std::string& ip, uint16_t port) {
  return ip + ":" + std::to_string(port);
}

uint32_t host_order(const std::string& vip) {
  auto ip = parse_ipv4(vip);
  return ip ? ntohl(ip->w[0]) : 0;
}

// "rule=web key=10.0.0.1:80/tcp id=3 mode=default select=rr endpoints=[10.0.1.2:8080 w1 up #0]"
std::string describe(const model::Service& svc, const xlb_svc& dp) {
  std::string eps;
  for (const auto& ep : svc.endpoints) {
    if (!eps.empty()) eps += ", ";
    auto idx = find_endpoint(dp, ep);
    eps += ep.ip + ":" + std::to_string(ep.port) + " w" + std::to_string(ep.weight) + " " +
           to_string(ep.state) + " #" + (idx ? std::to_string(*idx) : "?");
  }
  return "rule=" + model::display_name(svc) + " key=" + to_string(svc.key) +
         " id=" + std::to_string(dp.id) + " mode=" + to_string(svc.mode) +
         " select=" + to_string(svc.select) + " endpoints=[" + eps + "]";
}

// A failed rollback step leaves the datapath out of step with memory; say so loudly.
void undo_step(const Result<void>& r, const std::string& what) {
  if (!r) spdlog::error("rollback: cannot {}: {}", what, r.error().message);
}

template <class Rules>
std::map<std::string, uint32_t> vip_counts(const Rules& rules) {
  std::map<std::string, uint32_t> counts;
  for (const auto& [key, rule] : rules) ++counts[key.vip];
  return counts;
}

template <class Rules>
model::Config config_of(const Rules& rules) {
  model::Config cfg;
  for (const auto& [key, rule] : rules) cfg.services.push_back(rule.service);
  return cfg;
}

// Pushes (or clears) the rule's Maglev table so it matches dp; same-size tables are rewritten
// entry by entry, only where they changed.
Result<void> sync_maglev(Datapath& datapath, const xlb_svc& dp) {
  if (dp.select != XLB_SEL_MAGLEV) return datapath.clear_maglev_table(dp.id);
  std::vector<uint32_t> table = build_maglev_table(dp);
  if (table.empty()) return datapath.clear_maglev_table(dp.id);  // no endpoint is up
  return datapath.set_maglev_table(dp.id, table);
}

xlb_vip_info vip_info(uint32_t rules) {
  auto info = zeroed<xlb_vip_info>();
  info.rules = rules;
  return info;
}

}  // namespace

bool Reconciler::KeyLess::operator()(const model::ServiceKey& a, const model::ServiceKey& b) const {
  return std::tuple(host_order(a.vip), a.vip, a.port, a.protocol) <
         std::tuple(host_order(b.vip), b.vip, b.port, b.protocol);
}

Reconciler::Reconciler(Datapath& datapath, Store& store) : datapath_(datapath), store_(store) {}

Result<Reconciler::Rules> Reconciler::plan(const Rules& current,
                                           const std::vector<model::Service>& desired) const {
  std::set<uint32_t> used;
  for (const auto& svc : desired) {
    if (auto it = current.find(svc.key); it != current.end()) used.insert(it->second.dp.id);
  }
  Rules next;
  uint32_t candidate = 0;
  for (const auto& svc : desired) {
    auto it = current.find(svc.key);
    const xlb_svc* previous = it == current.end() ? nullptr : &it->second.dp;
    uint32_t id = 0;
    if (previous) {
      id = previous->id;  // a replaced rule keeps its id: counters and flows continue
    } else {
      while (used.contains(candidate)) ++candidate;
      if (candidate >= datapath_.max_services()) {
        return Error{"limit_exceeded",
                     "too many rules (max " + std::to_string(datapath_.max_services()) + ")", ""};
      }
      id = candidate;
      used.insert(id);
    }
    next.insert_or_assign(svc.key, Rule{svc, build_svc(with_health(svc), id, previous)});
  }
  return next;
}

Result<void> Reconciler::apply(const Rules& current, Rules next, const ApplyOptions& options) {
  Undo undo;  // reverts every datapath write below unless we reach commit()
  auto fail = [](const Error& e) -> Result<void> {
    spdlog::warn("configuration change refused, datapath rolled back: {}", e.message);
    return e;
  };

  for (const auto& [key, rule] : current) {
    if (next.contains(key)) continue;
    xlb_svc_key k = to_abi_key(key);
    if (auto r = datapath_.delete_service(k); !r) return fail(r.error());
    undo.add(
        [this, k, dp = rule.dp] { undo_step(datapath_.upsert_service(k, dp), "re-create rule"); });
    if (rule.dp.select == XLB_SEL_MAGLEV) {
      if (auto r = datapath_.clear_maglev_table(rule.dp.id); !r) return fail(r.error());
      undo.add([this, dp = rule.dp] { undo_step(sync_maglev(datapath_, dp), "restore maglev"); });
    }
  }

  for (const auto& [key, rule] : next) {
    auto it = current.find(key);
    const Rule* old = it == current.end() ? nullptr : &it->second;
    if (old && same_bytes(old->dp, rule.dp)) continue;
    if (!old) {
      // A new id must not inherit the counters of the rule that last held it.
      if (auto r = datapath_.reset_service_counters(rule.dp.id); !r) return fail(r.error());
    }
    xlb_svc_key k = to_abi_key(key);
    // The table goes first, so a rule switching to maglev never runs without one.
    if (rule.dp.select == XLB_SEL_MAGLEV || (old && old->dp.select == XLB_SEL_MAGLEV)) {
      if (auto r = sync_maglev(datapath_, rule.dp); !r) return fail(r.error());
      if (old) {
        undo.add([this, dp = old->dp] { undo_step(sync_maglev(datapath_, dp), "restore maglev"); });
      } else {
        undo.add([this, id = rule.dp.id] {
          undo_step(datapath_.clear_maglev_table(id), "clear maglev");
        });
      }
    }
    if (auto r = datapath_.upsert_service(k, rule.dp); !r) return fail(r.error());
    if (old) {
      undo.add(
          [this, k, dp = old->dp] { undo_step(datapath_.upsert_service(k, dp), "restore rule"); });
    } else {
      undo.add([this, k] { undo_step(datapath_.delete_service(k), "delete rule"); });
    }
  }

  auto before = vip_counts(current);
  auto after = vip_counts(next);
  for (const auto& [vip, count] : after) {
    auto b = before.find(vip);
    uint32_t was = b == before.end() ? 0 : b->second;
    if (was == count && !options.adopting) continue;
    xlb_ip ip = parse_ipv4(vip).value_or(xlb_ip{});
    if (auto r = datapath_.upsert_vip(ip, vip_info(count)); !r) return fail(r.error());
    if (was > 0) {
      undo.add(
          [this, ip, was] { undo_step(datapath_.upsert_vip(ip, vip_info(was)), "restore VIP"); });
    } else {
      undo.add([this, ip] { undo_step(datapath_.delete_vip(ip), "delete VIP"); });
    }
  }
  for (const auto& [vip, was] : before) {
    if (after.contains(vip)) continue;
    xlb_ip ip = parse_ipv4(vip).value_or(xlb_ip{});
    if (auto r = datapath_.delete_vip(ip); !r) {
      // When adopting, VIP entries of stale rules may already be gone.
      if (!options.adopting) return fail(r.error());
      spdlog::warn("cannot delete VIP {}: {}", vip, r.error().message);
      continue;
    }
    undo.add(
        [this, ip, was] { undo_step(datapath_.upsert_vip(ip, vip_info(was)), "restore VIP"); });
  }

  if (options.save) {
    if (auto r = store_.save(config_of(next)); !r) return fail(r.error());
  }
  undo.commit();

  if (options.log) {
    for (const auto& [key, rule] : current) {
      if (!next.contains(key)) spdlog::info("rule removed: {}", describe(rule.service, rule.dp));
    }
    for (const auto& [key, rule] : next) {
      auto it = current.find(key);
      if (it == current.end()) {
        spdlog::info("rule created: {}", describe(rule.service, rule.dp));
      } else if (it->second.service != rule.service || !same_bytes(it->second.dp, rule.dp)) {
        spdlog::info("rule replaced: {}", describe(rule.service, rule.dp));
      }
    }
  }
  rules_ = std::move(next);
  return Ok{};
}

model::Service Reconciler::with_health(const model::Service& svc) const {
  if (!svc.monitor || unhealthy_.empty()) return svc;
  model::Service out = svc;
  for (auto& ep : out.endpoints) {
    if (ep.state == model::EndpointState::up && unhealthy_.contains(endpoint_id(ep.ip, ep.port)))
      ep.state = model::EndpointState::down;
  }
  return out;
}

std::vector<model::Service> Reconciler::services() const {
  std::vector<model::Service> out;
  for (const auto& [key, rule] : rules_) out.push_back(rule.service);
  return out;
}

Result<void> Reconciler::notify(Result<void> done) {
  if (done && on_change_) on_change_();
  return done;
}

Result<void> Reconciler::apply_desired(const std::vector<model::Service>& desired) {
  auto next = plan(rules_, desired);
  if (!next) return next.error();
  return apply(rules_, std::move(*next), ApplyOptions{});
}

Result<void> Reconciler::restore() {
  std::lock_guard lock(mu_);
  auto loaded = store_.load();
  if (!loaded) return loaded.error();
  model::Config cfg = loaded->value_or(model::Config{});
  XLB_TRY(model::validate(cfg));
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    XLB_TRY(check_supported(cfg.services[i], "services[" + std::to_string(i) + "]."));
  }

  // What a previous xlbd left in the (pinned) datapath: keep its ids and endpoint indexes so
  // counters and established flows carry on.
  auto listed = datapath_.list_services();
  if (!listed) return listed.error();
  Rules adopted;
  for (const auto& [k, dp] : *listed) {
    auto key = from_abi_key(k);
    if (!key) {
      spdlog::warn("removing datapath rule {} with a key this version cannot express",
                   format_ip(k.vip));
      XLB_TRY(datapath_.delete_service(k));
      continue;
    }
    model::Service known;
    known.key = *key;
    adopted.insert_or_assign(*key, Rule{known, dp});
  }

  auto next = plan(adopted, cfg.services);
  if (!next) return next.error();
  XLB_TRY(apply(adopted, std::move(*next),
                ApplyOptions{.save = false, .adopting = true, .log = false}));

  size_t kept = 0;
  for (const auto& [key, rule] : rules_) {
    bool was_there = adopted.contains(key);
    kept += was_there;
    spdlog::info("rule restored: {} adopted={}", describe(rule.service, rule.dp),
                 was_there ? "yes" : "no");
  }
  size_t stale = 0;
  for (const auto& [key, rule] : adopted) {
    if (rules_.contains(key)) continue;
    ++stale;
    spdlog::info("rule removed: key={} id={} (in the datapath, not in the store)", to_string(key),
                 rule.dp.id);
  }
  spdlog::info("restored {} rules ({} re-adopted from the datapath, {} stale removed)",
               rules_.size(), kept, stale);
  return Ok{};
}

Result<void> Reconciler::upsert(const model::Service& svc) {
  XLB_TRY(model::validate(svc));
  XLB_TRY(check_supported(svc));
  std::unique_lock lock(mu_);
  std::vector<model::Service> desired;
  for (const auto& [key, rule] : rules_) {
    if (key != svc.key) desired.push_back(rule.service);
  }
  desired.push_back(svc);
  auto done = apply_desired(desired);
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::remove(const model::ServiceKey& key) {
  std::unique_lock lock(mu_);
  if (!rules_.contains(key)) {
    return Error{"not_found", "no rule for " + to_string(key), ""};
  }
  std::vector<model::Service> desired;
  for (const auto& [k, rule] : rules_) {
    if (k != key) desired.push_back(rule.service);
  }
  auto done = apply_desired(desired);
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::replace_all(const model::Config& cfg) {
  XLB_TRY(model::validate(cfg));
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    XLB_TRY(check_supported(cfg.services[i], "services[" + std::to_string(i) + "]."));
  }
  std::unique_lock lock(mu_);
  auto done = apply_desired(cfg.services);
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::set_endpoint_state(const std::string& ip, model::EndpointState state) {
  std::unique_lock lock(mu_);
  std::vector<model::Service> desired = services();
  bool listed = false;
  for (auto& svc : desired) {
    for (auto& ep : svc.endpoints) {
      if (ep.ip != ip) continue;
      listed = true;
      ep.state = state;
    }
  }
  if (!listed) return Error{"not_found", "no rule lists endpoint " + ip, ""};
  auto done = apply_desired(desired);
  lock.unlock();
  return notify(std::move(done));
}

void Reconciler::set_health(const std::string& ip, uint16_t port, bool healthy) {
  std::lock_guard lock(mu_);
  const std::string id = endpoint_id(ip, port);
  const bool changed = healthy ? unhealthy_.erase(id) > 0 : unhealthy_.insert(id).second;
  if (!changed) return;
  auto next = plan(rules_, services());
  auto done = next ? apply(rules_, std::move(*next), ApplyOptions{.save = false, .log = false})
                   : Result<void>(next.error());
  if (!done) spdlog::error("cannot apply the health of {}: {}", id, done.error().message);
}

model::Config Reconciler::config() const {
  std::lock_guard lock(mu_);
  return config_of(rules_);
}

ServiceStatus Reconciler::status_of(const Rule& rule) const {
  ServiceStatus st;
  st.service = rule.service;
  st.id = rule.dp.id;
  // Counters are best effort: a read failure shows zeros rather than hiding the rule.
  if (auto c = datapath_.service_counter(st.id)) st.counter = *c;
  for (const auto& ep : rule.service.endpoints) {
    EndpointStatus es{ep, {}, std::nullopt};
    if (rule.service.monitor && health_view_) es.health = health_view_(ep.ip, ep.port);
    if (auto idx = find_endpoint(rule.dp, ep)) {
      if (auto c = datapath_.endpoint_counter(st.id, *idx)) es.counter = *c;
    }
    st.endpoints.push_back(std::move(es));
  }
  return st;
}

std::optional<ServiceStatus> Reconciler::status(const model::ServiceKey& key) const {
  std::lock_guard lock(mu_);
  auto it = rules_.find(key);
  if (it == rules_.end()) return std::nullopt;
  return status_of(it->second);
}

std::vector<ServiceStatus> Reconciler::status() const {
  std::lock_guard lock(mu_);
  std::vector<ServiceStatus> out;
  for (const auto& [key, rule] : rules_) out.push_back(status_of(rule));
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> Reconciler::rule_timeouts() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const auto& [key, rule] : rules_)
    out.emplace_back(rule.dp.id, rule.service.inactive_timeout_s);
  return out;
}

std::optional<model::Service> Reconciler::service_by_id(uint32_t id) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, rule] : rules_) {
    if (rule.dp.id == id) return rule.service;
  }
  return std::nullopt;
}

}  // namespace xlb

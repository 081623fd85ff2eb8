#include "reconcile/reconciler.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "common/ip.h"
#include "logging/event.h"
#include "model/endpoint_check.h"
#include "model/validate.h"
#include "reconcile/abi.h"
#include "reconcile/flow_reset.h"
#include "reconcile/shared_changes.h"
#include "reconcile/supported.h"
#include "reconcile/undo.h"

namespace xlb {
namespace {

// rule=web key=10.0.0.1:80/tcp id=3 mode=default select=rr endpoints="10.0.1.2:8080 w1 up #0"
logging::Fields rule_fields(const model::Service& svc, const xlb_svc& dp) {
  std::string eps;
  for (const auto& ep : svc.endpoints) {
    if (!eps.empty()) eps += ", ";
    auto idx = find_endpoint(dp, ep);
    eps += ip_with_port(ep.ip, ep.port) + " w" + std::to_string(ep.weight) + " " +
           to_string(ep.state) + " #" + (idx ? std::to_string(*idx) : "?");
  }
  return {{"rule", model::display_name(svc)}, {"key", to_string(svc.key)},
          {"id", std::to_string(dp.id)},      {"mode", to_string(svc.mode)},
          {"select", to_string(svc.select)},  {"endpoints", eps}};
}

void log_rule(std::string_view what, const model::Service& svc, const xlb_svc& dp) {
  logging::event(spdlog::level::info, what, rule_fields(svc, dp));
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

// The VIP:ports xlb-proxy serves, with the number of fullproxy rules (hosts) on each.
template <class Rules>
std::map<std::tuple<std::string, model::Protocol, uint16_t>, uint32_t> l7_port_counts(
    const Rules& rules) {
  std::map<std::tuple<std::string, model::Protocol, uint16_t>, uint32_t> counts;
  for (const auto& [key, rule] : rules) {
    if (model::is_l7(rule.service)) ++counts[{key.vip, key.protocol, key.port}];
  }
  return counts;
}

model::ServiceKey port_key(const std::tuple<std::string, model::Protocol, uint16_t>& port) {
  return model::ServiceKey{std::get<0>(port), std::get<1>(port), std::get<2>(port)};
}

template <class Rules>
model::Config config_of(const Rules& rules, const std::vector<model::EndpointProbe>& probes) {
  model::Config cfg;
  for (const auto& [key, rule] : rules) cfg.services.push_back(rule.service);
  cfg.endpoint_probes = probes;
  return cfg;
}

std::vector<model::EndpointProbe> sorted_by_ip(std::vector<model::EndpointProbe> probes) {
  std::sort(probes.begin(), probes.end(), [](const auto& a, const auto& b) {
    return std::pair(ip_sort_key(a.ip), a.ip) < std::pair(ip_sort_key(b.ip), b.ip);
  });
  return probes;
}

// Pushes (or clears) the Maglev table dp names (its maglev_gen), so it matches dp; the rule's
// other table, which the datapath may still be reading through the rule's previous value, is
// left alone. Same-size tables are rewritten entry by entry, only where they changed.
Result<void> sync_maglev(Datapath& datapath, const xlb_svc& dp) {
  if (dp.select != XLB_SEL_MAGLEV) return datapath.clear_maglev_table(dp.id);
  std::vector<uint32_t> table = build_maglev_table(dp);
  if (table.empty()) return datapath.clear_maglev_table(dp.id);  // no endpoint is up
  return datapath.set_maglev_table(dp.id, dp.maglev_gen, table);
}

xlb_vip_info vip_info(uint32_t rules) {
  auto info = zeroed<xlb_vip_info>();
  info.rules = rules;
  return info;
}

}  // namespace

bool Reconciler::KeyLess::operator()(const model::ServiceKey& a, const model::ServiceKey& b) const {
  return std::tuple(ip_sort_key(a.vip), a.vip, a.port, a.protocol, a.host) <
         std::tuple(ip_sort_key(b.vip), b.vip, b.port, b.protocol, b.host);
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
      if (candidate >= datapath_.max_services())
        return too_many_rules_error(datapath_.max_services());
      id = candidate;
      used.insert(id);
    }
    next.insert_or_assign(svc.key, Rule{svc, build_svc(with_health(svc), id, previous)});
  }
  return next;
}

Reconciler::Delta Reconciler::diff(Rules next) const {
  Delta delta;
  for (const auto& [key, rule] : rules_) {
    if (!next.contains(key)) delta.before.emplace(key, rule);
  }
  for (auto& [key, rule] : next) {
    auto it = rules_.find(key);
    if (it != rules_.end()) {
      if (it->second.service == rule.service && same_bytes(it->second.dp, rule.dp)) continue;
      delta.before.emplace(key, it->second);
    }
    delta.after.emplace(key, std::move(rule));
  }
  return delta;
}

Result<uint32_t> Reconciler::free_id() const {
  std::vector<bool> used(datapath_.max_services());
  for (const auto& [key, rule] : rules_) {
    if (rule.dp.id < used.size()) used[rule.dp.id] = true;
  }
  auto it = std::find(used.begin(), used.end(), false);
  if (it == used.end()) return too_many_rules_error(datapath_.max_services());
  return static_cast<uint32_t>(it - used.begin());
}

Result<void> Reconciler::apply_vips(const Delta& delta, bool adopting, Undo& undo) {
  auto before = vip_counts(delta.before);
  auto after = vip_counts(delta.after);
  // Rules outside the delta count on both sides, for the VIPs the delta touches (all of them
  // when adopting). The VIP string is checked first: KeyLess lookups parse addresses.
  for (const auto& [key, rule] : rules_) {
    if (!adopting && !before.contains(key.vip) && !after.contains(key.vip)) continue;
    if (delta.before.contains(key) || delta.after.contains(key)) continue;
    ++before[key.vip];
    ++after[key.vip];
  }
  for (const auto& [vip, count] : after) {
    auto b = before.find(vip);
    uint32_t was = b == before.end() ? 0 : b->second;
    if (was == count && !adopting) continue;
    xlb_ip ip = parse_ip(vip).value_or(IpAddress{}).addr;
    XLB_TRY(datapath_.upsert_vip(ip, vip_info(count)));
    if (was > 0) {
      undo.add(
          [this, ip, was] { undo_step(datapath_.upsert_vip(ip, vip_info(was)), "restore VIP"); });
    } else {
      undo.add([this, ip] { undo_step(datapath_.delete_vip(ip), "delete VIP"); });
    }
  }
  for (const auto& [vip, was] : before) {
    if (after.contains(vip)) continue;
    xlb_ip ip = parse_ip(vip).value_or(IpAddress{}).addr;
    if (auto r = datapath_.delete_vip(ip); !r) {
      // When adopting, VIP entries of stale rules may already be gone.
      if (!adopting) return r.error();
      spdlog::warn("cannot delete VIP {}: {}", vip, r.error().message);
      continue;
    }
    // A copy, not the structured binding: clang 14 (the sanitizer build) cannot capture those.
    const auto rules_before = was;
    undo.add([this, ip, rules_before] {
      undo_step(datapath_.upsert_vip(ip, vip_info(rules_before)), "restore VIP");
    });
  }
  return Ok{};
}

Result<void> Reconciler::apply_l7_ports(const Delta& delta, bool adopting, bool adding,
                                        Undo& undo) {
  auto before = l7_port_counts(delta.before);
  auto after = l7_port_counts(delta.after);
  // Rules outside the delta keep their ports in use.
  for (const auto& [key, rule] : rules_) {
    if (!model::is_l7(rule.service) || delta.before.contains(key) || delta.after.contains(key))
      continue;
    const auto port = std::tuple{key.vip, key.protocol, key.port};
    if (!before.contains(port) && !after.contains(port) && !adopting) continue;
    ++before[port];
    ++after[port];
  }
  const xlb_svc steering = proxy_steering_svc();
  if (adding) {
    for (const auto& [port, count] : after) {
      if (before.contains(port) && !adopting) continue;
      xlb_svc_key k = to_abi_key(port_key(port));
      XLB_TRY(datapath_.upsert_service(k, steering));
      undo.add([this, k] { undo_step(datapath_.delete_service(k), "delete proxy steering"); });
    }
    return Ok{};
  }
  for (const auto& [port, count] : before) {
    if (after.contains(port)) continue;
    xlb_svc_key k = to_abi_key(port_key(port));
    XLB_TRY(datapath_.delete_service(k));
    undo.add([this, k, steering] {
      undo_step(datapath_.upsert_service(k, steering), "restore proxy steering");
    });
  }
  return Ok{};
}

std::vector<model::Service> Reconciler::l7_rules_locked() const {
  std::vector<model::Service> out;
  for (const auto& [key, rule] : rules_) {
    if (model::is_l7(rule.service)) out.push_back(with_health(rule.service));
  }
  return out;
}

std::vector<model::Service> Reconciler::l7_rules() const {
  std::lock_guard lock(mu_);
  return l7_rules_locked();
}

Result<void> Reconciler::apply(const Delta& delta, const ApplyOptions& options) {
  const Rules& current = delta.before;
  const Rules& next = delta.after;
  Undo undo;  // reverts every datapath write below unless we reach commit()
  auto fail = [](const Error& e) -> Result<void> {
    spdlog::warn("configuration change refused, datapath rolled back: {}", e.message);
    return e;
  };
  // fullproxy rules own no datapath entry of their own: their VIP:port's steering entry is
  // written by apply_l7_ports, removals before the L4 rules' writes and additions after, so an
  // L4 rule replacing a fullproxy port (or the reverse) never has its entry deleted.
  auto l4_in = [](const Rules& rules, const model::ServiceKey& key) {
    auto it = rules.find(key);
    return it != rules.end() && !model::is_l7(it->second.service);
  };

  for (const auto& [key, rule] : current) {
    if (model::is_l7(rule.service) || l4_in(next, key)) continue;
    xlb_svc_key k = to_abi_key(key);
    if (auto r = datapath_.delete_service(k); !r) return fail(r.error());
    undo.add(
        [this, k, dp = rule.dp] { undo_step(datapath_.upsert_service(k, dp), "re-create rule"); });
    if (rule.dp.select == XLB_SEL_MAGLEV) {
      if (auto r = datapath_.clear_maglev_table(rule.dp.id); !r) return fail(r.error());
      undo.add([this, dp = rule.dp] { undo_step(sync_maglev(datapath_, dp), "restore maglev"); });
    }
  }

  if (auto r = apply_l7_ports(delta, options.adopting, /*adding=*/false, undo); !r)
    return fail(r.error());

  for (const auto& [key, rule] : next) {
    if (model::is_l7(rule.service)) continue;
    auto it = current.find(key);
    const Rule* old =
        it == current.end() || model::is_l7(it->second.service) ? nullptr : &it->second;
    if (old && same_bytes(old->dp, rule.dp)) {
      // A restart adopts the pinned rule as it is; its table is rewritten (unchanged entries
      // are skipped), so an upgrade that renamed the table map fills the new one.
      if (options.adopting && rule.dp.select == XLB_SEL_MAGLEV) {
        if (auto r = sync_maglev(datapath_, rule.dp); !r) return fail(r.error());
      }
      continue;
    }
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

  if (auto r = apply_l7_ports(delta, options.adopting, /*adding=*/true, undo); !r)
    return fail(r.error());
  if (auto r = apply_vips(delta, options.adopting, undo); !r) return fail(r.error());

  // Memory takes the change first so the store saves it; a failed save puts memory back.
  for (const auto& [key, rule] : current) rules_.erase(key);
  for (const auto& [key, rule] : next) rules_.insert_or_assign(key, rule);
  if (options.save) {
    if (auto r = store_.save(config_of(rules_, probes_)); !r) {
      for (const auto& [key, rule] : next) rules_.erase(key);
      for (const auto& [key, rule] : current) rules_.insert_or_assign(key, rule);
      return fail(r.error());
    }
  }
  undo.commit();
  if (l7_listener_) {
    bool touched = false;
    for (const auto* rules : {&current, &next}) {
      for (const auto& [key, rule] : *rules) touched = touched || model::is_l7(rule.service);
    }
    if (touched) l7_listener_(l7_rules_locked());
  }

  if (options.log) {
    for (const auto& [key, rule] : current) {
      if (!next.contains(key)) log_rule("rule removed", rule.service, rule.dp);
    }
    for (const auto& [key, rule] : next) {
      auto it = current.find(key);
      if (it == current.end()) {
        log_rule("rule created", rule.service, rule.dp);
      } else if (it->second.service != rule.service || !same_bytes(it->second.dp, rule.dp)) {
        log_rule("rule replaced", rule.service, rule.dp);
      }
    }
  }
  return Ok{};
}

model::Service Reconciler::with_health(const model::Service& svc) const {
  if (unhealthy_.empty()) return svc;
  model::Service out = svc;
  bool any_up = false;
  for (auto& ep : out.endpoints) {
    if (ep.state != model::EndpointState::up) continue;
    auto check = model::endpoint_check(probes_, svc, ep);
    if (check && unhealthy_.contains(check->id)) {
      ep.state = model::EndpointState::down;
    } else {
      any_up = true;
    }
  }
  // Fail open: rather than refuse every new flow, trust the endpoints the operator left up.
  if (!any_up && svc.fail_open) return svc;
  return out;
}

Result<void> Reconciler::reapply(bool save) {
  auto next = plan(rules_, services());
  if (!next) return next.error();
  return apply(diff(std::move(*next)), ApplyOptions{.save = save, .log = false});
}

std::vector<std::pair<uint32_t, uint16_t>> Reconciler::flows_to_reset(
    const std::string& check_id) const {
  std::vector<std::pair<uint32_t, uint16_t>> out;
  for (const auto& [key, rule] : rules_) {
    if (rule.service.on_down != model::OnDown::reset) continue;
    for (const auto& ep : rule.service.endpoints) {
      auto check = model::endpoint_check(probes_, rule.service, ep);
      auto idx = find_endpoint(rule.dp, ep);
      // Only where the endpoint really left selection (not kept by fail_open).
      if (check && check->id == check_id && idx && rule.dp.eps[*idx].state == XLB_EP_DOWN &&
          ep.state == model::EndpointState::up) {
        out.emplace_back(rule.dp.id, static_cast<uint16_t>(*idx));
      }
    }
  }
  return out;
}

std::set<std::string> Reconciler::serving_vips() const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [key, rule] : rules_)
    if (rule.dp.nr_slots > 0) out.insert(key.vip);
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
  return apply(diff(std::move(*next)), ApplyOptions{});
}

Result<void> Reconciler::restore() {
  std::lock_guard lock(mu_);
  auto loaded = store_.load();
  if (!loaded) return loaded.error();
  model::Config cfg = loaded->value_or(model::Config{});
  XLB_TRY(model::validate(cfg));
  probes_ = sorted_by_ip(cfg.endpoint_probes);
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    XLB_TRY(check_supported(cfg.services[i], "services[" + std::to_string(i) + "]."));
  }

  // What a previous xlbd left in the (pinned) datapath: keep its ids and endpoint indexes so
  // counters and established flows carry on.
  auto listed = datapath_.list_services();
  if (!listed) return listed.error();
  Rules adopted;
  std::vector<xlb_svc_key> adopted_steering;  // VIP:ports an earlier xlbd steered to xlb-proxy
  for (const auto& [k, dp] : *listed) {
    if (dp.mode == XLB_MODE_PROXY) {
      adopted_steering.push_back(k);
      continue;
    }
    auto key = from_abi_key(k);
    if (!key) {
      spdlog::warn("removing datapath rule {} with a key this version cannot express",
                   format_ip(k.vip, k.family));
      XLB_TRY(datapath_.delete_service(k));
      continue;
    }
    model::Service known;
    known.key = *key;
    adopted.insert_or_assign(*key, Rule{known, dp});
  }

  auto next = plan(adopted, cfg.services);
  if (!next) return next.error();
  // rules_ is empty here: the delta is the whole adopted datapath against the whole config.
  XLB_TRY(apply(Delta{adopted, std::move(*next)},
                ApplyOptions{.save = false, .adopting = true, .log = false}));

  // Steering entries no fullproxy rule asks for any more (apply wrote the others again).
  auto wanted = l7_port_counts(rules_);
  for (const auto& k : adopted_steering) {
    auto key = from_abi_key(k);
    if (key && wanted.contains({key->vip, key->protocol, key->port})) continue;
    if (key && l4_rule_on(*key)) continue;  // an L4 rule took the port over
    XLB_TRY(datapath_.delete_service(k));
  }

  size_t kept = 0;
  for (const auto& [key, rule] : rules_) {
    bool was_there = adopted.contains(key);
    kept += was_there;
    logging::Fields fields = rule_fields(rule.service, rule.dp);
    fields.emplace_back("adopted", was_there ? "yes" : "no");
    logging::event(spdlog::level::info, "rule restored", fields);
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

bool Reconciler::l4_rule_on(const model::ServiceKey& port) const {
  auto it = rules_.find(model::ServiceKey{port.vip, port.protocol, port.port});
  return it != rules_.end() && !model::is_l7(it->second.service);
}

Result<void> Reconciler::upsert(const model::Service& svc) {
  XLB_TRY(model::validate(svc));
  XLB_TRY(check_supported(svc));
  // The files are this node's: checked before the change goes anywhere, shared or not.
  if (rule_file_check_) XLB_TRY(rule_file_check_(svc, ""));
  if (shared_writer_) {
    return shared_writer_->write([&svc, max = datapath_.max_services()](const auto& applied) {
      return shared_upsert(applied, svc, max);
    });
  }
  std::unique_lock lock(mu_);
  for (const auto& [key, rule] : rules_) {
    if (key != svc.key) XLB_TRY(model::check_port_sharing(svc, rule.service, "mode"));
  }
  // Only this rule is planned: the others keep their ids, indexes and datapath entries.
  Delta delta;
  const xlb_svc* previous = nullptr;
  uint32_t id = 0;
  if (auto it = rules_.find(svc.key); it != rules_.end()) {
    previous = &it->second.dp;
    id = previous->id;  // a replaced rule keeps its id: counters and flows continue
    delta.before.emplace(it->first, it->second);
  } else {
    auto free = free_id();
    if (!free) return free.error();
    id = *free;
  }
  delta.after.emplace(svc.key, Rule{svc, build_svc(with_health(svc), id, previous)});
  auto done = apply(delta, ApplyOptions{});
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::remove(const model::ServiceKey& key) {
  if (shared_writer_) {
    return shared_writer_->write(
        [&key](const auto& applied) { return shared_remove(applied, key); });
  }
  std::unique_lock lock(mu_);
  auto it = rules_.find(key);
  if (it == rules_.end()) return no_rule_error(key);
  Delta delta;
  delta.before.emplace(it->first, it->second);
  auto done = apply(delta, ApplyOptions{});
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::replace_all(const model::Config& cfg) {
  XLB_TRY(model::validate(cfg));
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    const std::string prefix = "services[" + std::to_string(i) + "].";
    XLB_TRY(check_supported(cfg.services[i], prefix));
    // The files are this node's: checked before the change goes anywhere, shared or not.
    if (rule_file_check_) XLB_TRY(rule_file_check_(cfg.services[i], prefix));
  }
  if (!shared_writer_) return replace_locally(cfg);
  return shared_writer_->write([&cfg, max = datapath_.max_services()](const auto& applied) {
    return shared_replace(applied, cfg, max);
  });
}

Result<void> Reconciler::apply_shared(const model::Config& cfg) { return replace_locally(cfg); }

Result<void> Reconciler::replace_locally(const model::Config& cfg) {
  XLB_TRY(model::validate(cfg));
  for (size_t i = 0; i < cfg.services.size(); ++i) {
    XLB_TRY(check_supported(cfg.services[i], "services[" + std::to_string(i) + "]."));
  }
  std::unique_lock lock(mu_);
  auto previous = std::exchange(probes_, sorted_by_ip(cfg.endpoint_probes));
  auto done = apply_desired(cfg.services);
  if (!done) probes_ = std::move(previous);
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::upsert_endpoint_probe(const model::EndpointProbe& probe) {
  XLB_TRY(model::validate(probe));
  if (shared_writer_) {
    return shared_writer_->write([&probe](const auto&) { return shared_probe_upsert(probe); });
  }
  std::unique_lock lock(mu_);
  auto next = probes_;
  std::erase_if(next, [&probe](const auto& p) { return p.ip == probe.ip; });
  next.push_back(probe);
  auto previous = std::exchange(probes_, sorted_by_ip(std::move(next)));
  auto done = reapply(/*save=*/true);
  if (!done) probes_ = std::move(previous);
  if (done)
    spdlog::info("endpoint probe set: {} {}", probe.ip, health::to_string(probe.probe.type));
  lock.unlock();
  return notify(std::move(done));
}

Result<void> Reconciler::remove_endpoint_probe(const std::string& ip) {
  if (shared_writer_) {
    return shared_writer_->write(
        [&ip](const auto& applied) { return shared_probe_remove(applied, ip); });
  }
  std::unique_lock lock(mu_);
  auto next = probes_;
  if (std::erase_if(next, [&ip](const auto& p) { return p.ip == ip; }) == 0) {
    return no_endpoint_probe_error(ip);
  }
  auto previous = std::exchange(probes_, std::move(next));
  auto done = reapply(/*save=*/true);
  if (!done) probes_ = std::move(previous);
  if (done) spdlog::info("endpoint probe removed: {}", ip);
  lock.unlock();
  return notify(std::move(done));
}

std::optional<model::EndpointProbe> Reconciler::endpoint_probe(const std::string& ip) const {
  std::lock_guard lock(mu_);
  const model::EndpointProbe* p = model::find_probe(probes_, ip);
  return p ? std::optional(*p) : std::nullopt;
}

Result<void> Reconciler::set_endpoint_state(const std::string& ip, model::EndpointState state) {
  if (shared_writer_) {
    return shared_writer_->write(
        [&ip, state](const auto& applied) { return shared_endpoint_state(applied, ip, state); });
  }
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
  if (!listed) return no_rule_lists_endpoint_error(ip);
  auto done = apply_desired(desired);
  if (done) {
    std::string rules;
    for (const auto& svc : desired) {
      for (const auto& ep : svc.endpoints) {
        if (ep.ip != ip) continue;
        rules += (rules.empty() ? "" : ",") + model::display_name(svc);
        break;
      }
    }
    logging::event(spdlog::level::info, "endpoint state changed",
                   {{"endpoint", ip}, {"state", to_string(state)}, {"rules", rules}});
  }
  lock.unlock();
  return notify(std::move(done));
}

void Reconciler::set_health(const std::string& check_id, bool healthy) {
  std::unique_lock lock(mu_);
  const bool changed =
      healthy ? unhealthy_.erase(check_id) > 0 : unhealthy_.insert(check_id).second;
  if (!changed) return;
  if (auto done = reapply(/*save=*/false); !done) {
    spdlog::error("cannot apply the health of {}: {}", check_id, done.error().message);
    return;
  }
  if (healthy) return;
  // The endpoint gets no new flows now; the walk runs without the lock (it visits all of CT).
  auto doomed = flows_to_reset(check_id);
  lock.unlock();
  if (doomed.empty()) return;
  auto reset = reset_endpoint_flows(datapath_, doomed);
  if (!reset) {
    spdlog::error("cannot reset the flows of {}: {}", check_id, reset.error().message);
  } else {
    spdlog::info("endpoint {} down: reset {} flows (on_down=reset)", check_id, *reset);
  }
}

model::Config Reconciler::config() const {
  std::lock_guard lock(mu_);
  return config_of(rules_, probes_);
}

ServiceStatus Reconciler::status_of(const Rule& rule) const {
  ServiceStatus st;
  st.service = rule.service;
  st.id = rule.dp.id;
  // Counters are best effort: a read failure shows zeros rather than hiding the rule.
  if (auto c = datapath_.service_counter(st.id)) st.counter = *c;
  for (const auto& ep : rule.service.endpoints) {
    EndpointStatus es{ep, {}, std::nullopt};
    auto check = model::endpoint_check(probes_, rule.service, ep);
    if (check && health_view_) es.health = health_view_(check->id);
    if (es.health) es.health->name = check->name;
    if (auto idx = find_endpoint(rule.dp, ep)) {
      if (auto c = datapath_.endpoint_counter(st.id, *idx)) es.counter = *c;
      if (auto n = datapath_.active_flows(st.id, *idx)) es.active_flows = *n;
      if (rule.service.mode == model::Mode::dsr) {
        if (auto d = datapath_.dsr_counter(st.id, *idx)) es.dsr = *d;
        st.dsr.l2 += es.dsr.l2;
        st.dsr.ipip += es.dsr.ipip;
      }
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

std::vector<ProbeStatus> Reconciler::probe_status() const {
  std::lock_guard lock(mu_);
  std::vector<ProbeStatus> out;
  for (const auto& probe : probes_) {
    ProbeStatus ps{probe, false, std::nullopt};
    for (const auto& [key, rule] : rules_) {
      for (const auto& ep : rule.service.endpoints) ps.listed = ps.listed || ep.ip == probe.ip;
    }
    auto check = model::standalone_check(probe);
    if (!ps.listed && check && health_view_) ps.health = health_view_(check->id);
    if (ps.health) ps.health->name = probe.name;
    out.push_back(std::move(ps));
  }
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> Reconciler::rule_timeouts() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (const auto& [key, rule] : rules_)
    out.emplace_back(rule.dp.id, rule.service.inactive_timeout_s);
  return out;
}

std::optional<std::string> Reconciler::rule_name(uint32_t id) const {
  std::lock_guard lock(mu_);
  for (const auto& [key, rule] : rules_) {
    if (rule.dp.id == id) return model::display_name(rule.service);
  }
  return std::nullopt;
}

}  // namespace xlb

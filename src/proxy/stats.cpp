#include "proxy/stats.h"

#include <cstdlib>

namespace xlb::proxy {

void RuleStats::count_response(int status) {
  if (status >= 100 && status < 600)
    responses[status / 100 - 1].fetch_add(1, std::memory_order_relaxed);
}

void RuleStats::observe_latency(double seconds) {
  size_t bucket = 0;
  while (bucket < kLatencyBounds.size() && seconds > kLatencyBounds[bucket]) ++bucket;
  latency[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

nlohmann::json RuleStats::to_json() const {
  nlohmann::json classes = nlohmann::json::object();
  for (size_t i = 0; i < responses.size(); ++i)
    classes[std::to_string(i + 1) + "xx"] = responses[i].load(std::memory_order_relaxed);
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : latency) buckets.push_back(b.load(std::memory_order_relaxed));
  return {{"requests", requests.load(std::memory_order_relaxed)},
          {"responses", std::move(classes)},
          {"backend_connections", backend_connections.load(std::memory_order_relaxed)},
          {"latency_buckets", std::move(buckets)},
          {"latency_sum_seconds", latency_sum_us.load(std::memory_order_relaxed) / 1e6}};
}

std::string to_string(TlsSide side) { return side == TlsSide::client ? "client" : "backend"; }

void StatsRegistry::count_tls_failure(TlsSide side, const std::string& reason) {
  std::lock_guard lock(mu_);
  ++tls_failures_[{side, reason}];
}

std::shared_ptr<RuleStats> StatsRegistry::rule(const std::string& key) {
  std::lock_guard lock(mu_);
  auto& slot = rules_[key];
  if (!slot) slot = std::make_shared<RuleStats>();
  return slot;
}

void StatsRegistry::count_refused(int status) {
  std::lock_guard lock(mu_);
  ++refused_[status];
}

nlohmann::json StatsRegistry::snapshot(
    const std::vector<std::string>& keys,
    const std::vector<TlsCertificateExpiry>& certificates) const {
  std::lock_guard lock(mu_);
  nlohmann::json rules = nlohmann::json::object();
  for (const auto& key : keys) {
    auto it = rules_.find(key);
    if (it != rules_.end()) rules[key] = it->second->to_json();
  }
  nlohmann::json refused = nlohmann::json::object();
  for (const auto& [status, n] : refused_) refused[std::to_string(status)] = n;
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& [what, n] : tls_failures_)
    failures.push_back({{"side", to_string(what.first)}, {"reason", what.second}, {"count", n}});
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& c : certificates)
    certs.push_back({{"rule", c.key}, {"file", c.file}, {"days_left", c.days_left}});
  nlohmann::json tls = {{"handshakes",
                         {{"client", tls_handshakes_[0].load(std::memory_order_relaxed)},
                          {"backend", tls_handshakes_[1].load(std::memory_order_relaxed)}}},
                        {"failures", std::move(failures)},
                        {"certificates", std::move(certs)}};
  return {{"rules", std::move(rules)}, {"refused", std::move(refused)}, {"tls", std::move(tls)}};
}

namespace {

// The "tls" part of a stats answer; entries of another shape are skipped.
void tls_stats_from_json(const nlohmann::json& tls, ProxyStatsSnapshot& out) {
  if (auto it = tls.find("handshakes"); it != tls.end() && it->is_object()) {
    for (const auto& [side, n] : it->items()) {
      if (n.is_number_unsigned()) out.tls_handshakes[side] = n.get<uint64_t>();
    }
  }
  if (auto it = tls.find("failures"); it != tls.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (!f.is_object()) continue;
      out.tls_failures.push_back({f.value("side", std::string()), f.value("reason", std::string()),
                                  f.value("count", uint64_t{0})});
    }
  }
  if (auto it = tls.find("certificates"); it != tls.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object()) continue;
      out.certificates.push_back({c.value("rule", std::string()), c.value("file", std::string()),
                                  c.value("days_left", 0.0)});
    }
  }
}

}  // namespace

std::optional<ProxyStatsSnapshot> stats_from_json(const nlohmann::json& j) {
  ProxyStatsSnapshot out;
  if (!j.is_object() || !j.contains("rules") || !j["rules"].is_object()) return std::nullopt;
  for (const auto& [key, r] : j["rules"].items()) {
    if (!r.is_object()) return std::nullopt;
    RuleStatsSnapshot s;
    s.key = key;
    s.requests = r.value("requests", uint64_t{0});
    s.backend_connections = r.value("backend_connections", uint64_t{0});
    s.latency_sum_seconds = r.value("latency_sum_seconds", 0.0);
    if (auto it = r.find("responses"); it != r.end() && it->is_object()) {
      for (size_t i = 0; i < s.responses.size(); ++i)
        s.responses[i] = it->value(std::to_string(i + 1) + "xx", uint64_t{0});
    }
    if (auto it = r.find("latency_buckets"); it != r.end() && it->is_array()) {
      for (const auto& b : *it)
        s.latency_buckets.push_back(b.is_number_unsigned() ? b.get<uint64_t>() : 0);
    }
    s.latency_buckets.resize(kLatencyBounds.size() + 1, 0);
    out.rules.push_back(std::move(s));
  }
  if (auto it = j.find("refused"); it != j.end() && it->is_object()) {
    for (const auto& [status, n] : it->items()) {
      if (n.is_number_unsigned()) out.refused[std::atoi(status.c_str())] = n.get<uint64_t>();
    }
  }
  if (auto it = j.find("tls"); it != j.end() && it->is_object()) tls_stats_from_json(*it, out);
  return out;
}

}  // namespace xlb::proxy

// Per-rule counters of xlb-proxy, shared by its worker threads (relaxed atomics), read by the
// control thread when xlbd asks (for /metrics).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace xlb::proxy {

// Upper bounds (seconds) of the request latency histogram: the request's head received to its
// response's last byte sent.
inline constexpr std::array<double, 10> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,  0.1,    0.25,  1,    5};

struct RuleStats {
  std::atomic<uint64_t> requests{0};                 // routed to this rule
  std::array<std::atomic<uint64_t>, 5> responses{};  // by class: 1xx (index 0) .. 5xx
  std::atomic<uint64_t> backend_connections{0};      // opened to its endpoints
  std::array<std::atomic<uint64_t>, kLatencyBounds.size() + 1> latency{};  // last: +Inf
  std::atomic<uint64_t> latency_sum_us{0};

  void count_response(int status);
  void observe_latency(double seconds);
  nlohmann::json to_json() const;
};

// TLS handshakes of the proxy: with clients (https, e2ehttps ports) and with endpoints
// (e2ehttps).
enum class TlsSide : uint8_t { client, backend };
std::string to_string(TlsSide side);

// A handshake failure of one side for one reason (tls_failure_reason's label).
struct TlsFailureCount {
  std::string side, reason;
  uint64_t count = 0;
};
// The certificate an https rule serves: its file, days to its notAfter.
struct TlsCertificateExpiry {
  std::string key;  // the rule's stats key
  std::string file;
  double days_left = 0;
};

// What xlbd reads back (the "stats" answer of the control channel), for /metrics.
struct RuleStatsSnapshot {
  std::string key;  // model::to_string of the rule's key
  uint64_t requests = 0;
  std::array<uint64_t, 5> responses{};  // 1xx .. 5xx
  uint64_t backend_connections = 0;
  std::vector<uint64_t> latency_buckets;  // per kLatencyBounds, then +Inf (not cumulative)
  double latency_sum_seconds = 0;
};
struct ProxyStatsSnapshot {
  std::vector<RuleStatsSnapshot> rules;
  std::map<int, uint64_t> refused;                 // by status
  std::map<std::string, uint64_t> tls_handshakes;  // by side: "client", "backend"
  std::vector<TlsFailureCount> tls_failures;
  std::vector<TlsCertificateExpiry> certificates;
};
// The proxy process as xlbd sees it: /metrics shows this beside the counters.
struct ProxyStatus {
  bool running = false;
  uint64_t restarts = 0;                    // times xlbd started it again after it died
  std::optional<ProxyStatsSnapshot> stats;  // nullopt when not running or not answering
};

// nullopt for an answer of another shape (a proxy of another version).
std::optional<ProxyStatsSnapshot> stats_from_json(const nlohmann::json& j);

// Counters by rule key (model::to_string of the rule's key), kept across configurations so a
// rule's counts survive the push of a new one.
class StatsRegistry {
 public:
  std::shared_ptr<RuleStats> rule(const std::string& key);
  // Requests refused before a rule was known (malformed, too large, timeouts), by status.
  void count_refused(int status);
  void count_tls_handshake(TlsSide side) {
    tls_handshakes_[static_cast<size_t>(side)].fetch_add(1, std::memory_order_relaxed);
  }
  void count_tls_failure(TlsSide side, const std::string& reason);
  // {"rules": {key: {...}}, "refused": {"400": n, ...}, "tls": {...}} for the rules in `keys`
  // and the certificates now served.
  nlohmann::json snapshot(const std::vector<std::string>& keys,
                          const std::vector<TlsCertificateExpiry>& certificates = {}) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<RuleStats>> rules_;
  std::map<int, uint64_t> refused_;
  std::array<std::atomic<uint64_t>, 2> tls_handshakes_{};
  std::map<std::pair<TlsSide, std::string>, uint64_t> tls_failures_;  // reasons are OpenSSL's
};

}  // namespace xlb::proxy

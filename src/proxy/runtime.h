// The configuration xlb-proxy's workers serve from: the rules by listener (VIP:port) and
// Host, and the limits. Published whole by the control thread; each worker picks the new one up
// between two events, so a push never drops a connection (a request already routed finishes
// with the rule it started with).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ip.h"
#include "proxy/control.h"
#include "proxy/ip_port_key.h"
#include "proxy/stats.h"
#include "proxy/tls_context.h"

namespace xlb::proxy {

struct RuntimeRule {
  model::Service service;
  std::string key;              // model::to_string(service.key): the stats key
  std::vector<IpCidr> trusted;  // --xff-trusted networks of both families
  std::shared_ptr<RuleStats> stats;
  SslCtxPtr server_tls;   // https, e2ehttps: its certificate toward clients (null: did not load)
  SslCtxPtr backend_tls;  // e2ehttps: how its endpoints are verified (null: did not load)
  std::string tls_stamp;  // the TLS files' identity when loaded (tls_files_stamp)

  // Whether `client` (the TCP peer, or a trusted PPv2 source: IPv4 or IPv6) is in --xff-trusted.
  bool trusts(const IpAddress& client) const;
};

struct RuntimeConfig {
  Limits limits;
  std::vector<RuntimeRule> rules;
  // VIP:port (IPv4 or IPv6) -> indexes in rules.
  std::map<IpPortKey, std::vector<size_t>> by_listener;
  // VIP:port of https rules -> their certificates; a port absent here is plain HTTP.
  std::map<IpPortKey, std::shared_ptr<const TlsListener>> tls;
  // TLS rules whose files did not load (logged by the caller): the rule keeps the contexts it
  // had before if it had some, else its port stays TLS with the other rules' certificates (or
  // refuses handshakes when none loaded) and an e2ehttps rule answers 502.
  std::vector<std::string> tls_errors;
  // Loud notes of the load (--insecure-backend), logged by the caller.
  std::vector<std::string> tls_warnings;
  size_t tls_loaded = 0;  // rules whose TLS files were (re)loaded by this build

  // The certificates served now, with their days to expiry (for /metrics).
  std::vector<TlsCertificateExpiry> certificates() const;

  // The rule for a request to `listener` (VIP:port) with Host `host` (normalized): that host's
  // rule, else the listener's default (no --host) rule, else none (404).
  const RuntimeRule* route(const IpPortKey& listener, std::string_view host) const;
  // A PPv2 header on `listener` is accepted from the TCP peer `peer` when a rule there trusts it.
  bool trusts_on_listener(const IpPortKey& listener, const IpAddress& peer) const;
  // Whether `listener` is an https port (true even when no certificate loaded).
  bool is_tls(const IpPortKey& listener) const;
  std::shared_ptr<const TlsListener> tls_for(const IpPortKey& listener) const;
};

// The identity of a rule's TLS files (inode, size, modification time of each): a change means
// they must be loaded again. Empty for a rule without TLS.
std::string tls_files_stamp(const model::Service& svc);

// The configuration to serve. A TLS rule takes its contexts from `previous` when its files and
// settings are unchanged there (unless `reload_tls`: every file is loaded again); a file that
// fails to load leaves the rule with the contexts `previous` had for it (and an error).
std::shared_ptr<const RuntimeConfig> build_runtime(const ProxyConfig& config,
                                                   StatsRegistry& registry,
                                                   const RuntimeConfig* previous = nullptr,
                                                   bool reload_tls = false);

class ConfigStore {
 public:
  void publish(std::shared_ptr<const RuntimeConfig> config);
  std::shared_ptr<const RuntimeConfig> current() const;
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const RuntimeConfig> current_ = std::make_shared<RuntimeConfig>();
  std::atomic<uint64_t> generation_{0};
};

}  // namespace xlb::proxy

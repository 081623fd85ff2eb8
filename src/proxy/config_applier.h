// What xlb-proxy serves, changed by xlbd's pushes and by certificate reloads (xlbctl reload
// certs, SIGHUP, or a TLS file that changed on disk). Both build a new RuntimeConfig from the
// last pushed rules and publish it: connections keep the certificates they started with, new
// handshakes take the new ones, and a file that no longer loads leaves its rule with the
// certificate it had.
#pragma once

#include <cstddef>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "proxy/control.h"
#include "proxy/runtime.h"

namespace xlb::proxy {

// What one build did with TLS files, for the log and the reload's answer.
struct TlsLoadReport {
  size_t rules = 0;   // rules in the configuration
  size_t loaded = 0;  // TLS rules whose files were loaded again
  std::vector<std::string> errors, warnings;
};

class ConfigApplier {
 public:
  ConfigApplier(ConfigStore& store, StatsRegistry& registry) : store_(store), registry_(registry) {}

  // A config message from xlbd: refused whole when it does not validate.
  Result<TlsLoadReport> apply(const nlohmann::json& message);
  // Every TLS file of the current rules loaded again.
  TlsLoadReport reload_tls();
  // The file watch: the rules whose TLS files changed since they were loaded are loaded again;
  // nullopt when none changed.
  std::optional<TlsLoadReport> reload_changed_tls();

 private:
  TlsLoadReport publish(bool reload_all);  // mu_ held

  ConfigStore& store_;
  StatsRegistry& registry_;
  std::mutex mu_;
  ProxyConfig config_;
  std::string stamp_;  // tls_files_stamp of every rule, at the last build
};

}  // namespace xlb::proxy

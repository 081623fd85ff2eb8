#include "proxy/config_applier.h"

namespace xlb::proxy {
namespace {

std::string rules_tls_stamp(const ProxyConfig& config) {
  std::string stamp;
  for (const auto& r : config.rules) stamp += tls_files_stamp(r) + "|";
  return stamp;
}

}  // namespace

TlsLoadReport ConfigApplier::publish(bool reload_all) {
  auto runtime = build_runtime(config_, registry_, store_.current().get(), reload_all);
  stamp_ = rules_tls_stamp(config_);
  TlsLoadReport report{config_.rules.size(), runtime->tls_loaded, runtime->tls_errors,
                       runtime->tls_warnings};
  store_.publish(std::move(runtime));
  return report;
}

Result<TlsLoadReport> ConfigApplier::apply(const nlohmann::json& message) {
  auto config = config_from_message(message);
  if (!config) return config.error();
  std::lock_guard lock(mu_);
  config_ = std::move(*config);
  return publish(false);
}

TlsLoadReport ConfigApplier::reload_tls() {
  std::lock_guard lock(mu_);
  return publish(true);
}

std::optional<TlsLoadReport> ConfigApplier::reload_changed_tls() {
  std::lock_guard lock(mu_);
  if (rules_tls_stamp(config_) == stamp_) return std::nullopt;
  return publish(false);
}

}  // namespace xlb::proxy

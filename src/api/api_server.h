// The REST API server (cpp-httplib): lifecycle and cross-cutting policy (body limit, error
// shape for unrouted/oversized requests, exceptions). Routes live in routes_*.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/ha_controller.h"
#include "common/result.h"
#include "proxy/stats.h"
#include "reconcile/reconciler.h"
#include "status/source.h"
#include "status/store_status.h"

namespace httplib {
class Server;
}
namespace xlb::metrics {
class LiveMetrics;
}
namespace xlb::bgp {
class BgpController;
}

namespace xlb::api {

struct ApiContext {
  Reconciler& reconciler;      // changes and the stored configuration
  const StatusSource& status;  // every read of running state: rules, counters, conntrack
  cluster::HaController& ha;   // HA states: get ha, set ha, readiness for keepalived
  // Probe latency and error counts for /metrics, accumulated by xlbd; null: those series absent.
  metrics::LiveMetrics* live_metrics = nullptr;
  // xlb-proxy's state and counters for /metrics (fullproxy rules); empty, or nullopt while no
  // proxy was ever started: no such series.
  std::function<std::optional<proxy::ProxyStatus>()> l7_status = {};
  // Asks xlb-proxy to load every TLS file again (its answer: loaded, errors, warnings); empty:
  // POST /api/v1/tls/reload answers 409.
  std::function<Result<nlohmann::json>()> l7_reload_tls = {};
  // Where the configuration lives (file or etcd, connected, revisions); null: the file store.
  const StoreStatusSource* store_status = nullptr;
  // BGP settings and sessions (xlbd --bgp / --bgp-api); null: the bgp routes answer 409.
  bgp::BgpController* bgp = nullptr;
};

class ApiServer {
 public:
  explicit ApiServer(ApiContext ctx);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port without serving yet, so a busy port fails start-up before anything else
  // changes. The error names the address and the fix.
  Result<void> bind(const std::string& host, int port);
  // Serves on the bound socket until stop(); returns at once if stop() came first.
  void serve();
  // Thread-safe and safe to call before serve() (e.g. from a signal thread).
  void stop();
  // From now on every request but GET /healthz needs "Authorization: Bearer <token>" (401
  // otherwise). Call before serve().
  void require_token(std::string token) { token_ = std::move(token); }

 private:
  ApiContext ctx_;
  std::unique_ptr<httplib::Server> server_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> done_{false};
  std::atomic<bool> stopping_{false};
  std::string token_;  // empty: no authentication (loopback only, enforced by xlbd's options)
};

}  // namespace xlb::api

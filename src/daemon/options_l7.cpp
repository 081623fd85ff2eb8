#include "daemon/options_l7.h"

#include <CLI/CLI.hpp>
#include <cmath>

namespace xlb::daemon {
namespace {

struct L7SecondsFlag {
  const char* flag;
  double L7Options::*seconds;
  uint32_t proxy::Limits::*millis;
  const char* help;
};

constexpr L7SecondsFlag kL7SecondsFlags[] = {
    {"--l7-header-timeout", &L7Options::header_timeout_s, &proxy::Limits::header_timeout_ms,
     "fullproxy: seconds to receive a request's head (408 after; against slowloris)"},
    {"--l7-keepalive-timeout", &L7Options::keepalive_timeout_s,
     &proxy::Limits::keepalive_timeout_ms, "fullproxy: seconds an idle client connection stays"},
    {"--l7-body-timeout", &L7Options::body_timeout_s, &proxy::Limits::body_idle_timeout_ms,
     "fullproxy: seconds a request or response body may stall"},
    {"--l7-connect-timeout", &L7Options::connect_timeout_s, &proxy::Limits::connect_timeout_ms,
     "fullproxy: seconds to connect to an endpoint (502 after)"},
    {"--l7-response-timeout", &L7Options::response_timeout_s, &proxy::Limits::response_timeout_ms,
     "fullproxy: seconds to the response's head (504 after)"},
    {"--l7-pool-idle-timeout", &L7Options::pool_idle_timeout_s,
     &proxy::Limits::pool_idle_timeout_ms, "fullproxy: seconds an idle backend connection stays"},
};

}  // namespace

void add_l7_options(CLI::App& app, L7Options& o) {
  app.add_option("--l7-proxy-bin", o.proxy_bin, "fullproxy: the xlb-proxy executable");
  app.add_option("--l7-workers", o.workers,
                 "fullproxy: event loops of xlb-proxy (0: one per core)");
  for (const auto& f : kL7SecondsFlags) {
    o.*f.seconds = (o.limits.*f.millis) / 1000.0;
    app.add_option(f.flag, o.*f.seconds, f.help)->default_str(std::to_string(o.*f.seconds));
  }
  app.add_option("--l7-max-header-bytes", o.limits.max_header_bytes,
                 "fullproxy: bytes of a request head (431 past it)");
  app.add_option("--l7-max-headers", o.limits.max_headers,
                 "fullproxy: header fields of a request (431 past it)");
  app.add_option("--l7-max-request-line", o.limits.max_request_line,
                 "fullproxy: bytes of a request line (414 past it)");
  app.add_option("--l7-max-connections", o.limits.max_connections,
                 "fullproxy: client connections of xlb-proxy (more wait in the backlog)");
  app.add_option("--l7-pool-max-idle", o.limits.pool_max_idle,
                 "fullproxy: idle backend connections kept per endpoint and event loop");
}

Result<void> finish_l7_options(L7Options& o) {
  for (const auto& f : kL7SecondsFlags) {
    const double s = o.*f.seconds;
    if (!(s >= 0.1 && s <= 3600)) {
      return invalid(f.flag + 2, std::string(f.flag) + " must be from 0.1 to 3600 seconds, got " +
                                     std::to_string(s));
    }
    o.limits.*f.millis = static_cast<uint32_t>(std::lround(s * 1000));
  }
  auto ok = proxy::validate(o.limits);
  if (ok) return Ok{};
  // "max_headers must be ..." -> "--l7-max-headers must be ...": the flag the operator typed.
  Error e = ok.error();
  std::string flag = "--l7-" + e.field;
  for (char& c : flag) c = c == '_' ? '-' : c;
  if (e.message.starts_with(e.field)) e.message = flag + e.message.substr(e.field.size());
  e.field = flag.substr(2);
  return e;
}

}  // namespace xlb::daemon

#include "api/api_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "api/bearer_auth.h"
#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"

namespace xlb::api {
namespace {

// Fills the error shape for responses httplib produced itself (no route, body too large,
// malformed HTTP); responses from our handlers already carry a body and are left alone.
httplib::Server::HandlerResponse fill_unrouted_error(const httplib::Request& req,
                                                     httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  Error error;
  switch (res.status) {
    case 404:
      error = Error{ErrorCode::not_found,
                    "no route " + req.method + " " + req.path + "; see docs/api/openapi.yaml", ""};
      break;
    case 413:
      error = body_too_large();
      break;
    default:
      error = Error{
          res.status < 500 ? ErrorCode::invalid_argument : ErrorCode::internal,
          "the HTTP request could not be processed (status " + std::to_string(res.status) + ")",
          ""};
  }
  const int status = res.status;
  reply_error(res, error);
  res.status = status;
  return httplib::Server::HandlerResponse::Handled;
}

void log_request(const httplib::Request& req, const httplib::Response& res) {
  spdlog::debug("api: {} {} -> {}", req.method, req.path, res.status);
}

std::string bind_error_message(const std::string& address, int err) {
  switch (err) {
    case EADDRINUSE:
      return "API address " + address +
             " is already in use: stop the other xlbd (or whatever holds it) or pass "
             "--api=<ip>:<port>";
    case EADDRNOTAVAIL:
      return "API address " + address +
             " is not an address of this host: pass --api with a local address such as "
             "127.0.0.1:11111";
    case EACCES:
      return "binding the API to " + address +
             " needs privileges: run as root or use a port above 1023 in --api";
    default:
      return "cannot listen on API address " + address + " (" +
             (err ? std::strerror(err) : "unresolvable address") +
             "): pass --api=<ip>:<port> with a free local address";
  }
}

}  // namespace

ApiServer::ApiServer(ApiContext ctx)
    : ctx_(std::move(ctx)), server_(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *server_;
  s.set_payload_max_length(kMaxBodyBytes);
  // Without it, small answers on a kept-alive connection wait ~40 ms for Nagle + delayed ACK.
  s.set_tcp_nodelay(true);
  s.set_keep_alive_timeout(2);
  // A request that stops arriving frees its worker after this long (tests/api/slow_client_test).
  s.set_read_timeout(5);
  s.set_error_handler(httplib::Server::HandlerWithResponse(fill_unrouted_error));
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("api: {} {} failed: {}", req.method, req.path, what);
        reply_error(res, Error{ErrorCode::internal, "internal error: " + what, ""});
      });
  s.set_logger(log_request);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return check_bearer_token(token_, req, res);
  });

  add_health_routes(s, ctx_);
  add_loadbalancer_routes(s, ctx_);
  add_config_routes(s, ctx_);
  add_conntrack_routes(s, ctx_);
  add_stats_routes(s, ctx_);
  add_endpoint_probe_routes(s, ctx_);
  add_metrics_routes(s, ctx_);
  add_diagnose_routes(s, ctx_);
  add_ha_routes(s, ctx_);
  add_cluster_routes(s, ctx_);
  add_bgp_routes(s, ctx_);
  add_tls_routes(s, ctx_);
}

ApiServer::~ApiServer() { stop(); }

Result<void> ApiServer::bind(const std::string& host, int port) {
  errno = 0;
  if (server_->bind_to_port(host, port)) return Ok{};
  const int err = errno;
  return Error{ErrorCode::startup, bind_error_message(host + ":" + std::to_string(port), err),
               "api"};
}

void ApiServer::serve() {
  serving_ = true;
  if (!stopping_) server_->listen_after_bind();
  done_ = true;
}

void ApiServer::stop() {
  stopping_ = true;
  // httplib's stop() only acts once listening has begun; wait for that instead of racing it.
  while (serving_ && !done_ && !server_->is_running()) std::this_thread::yield();
  server_->stop();
}

}  // namespace xlb::api

// EtcdClient: etcd's documented v3 JSON gateway (/v3/kv/range, /v3/kv/txn, /v3/watch,
// /v3/lease/*, /v3/auth/authenticate) over cpp-httplib, with TLS client certificates and
// user/password authentication. No etcd library exists for C++ here and etcdctl is not for a
// write path; the gateway is plain HTTP/JSON with base64 keys and values.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace httplib {
class Client;
}

namespace xlb {

struct EtcdEndpoint {
  std::string host;
  int port = 2379;
  std::string text() const { return host + ":" + std::to_string(port); }
};

// "etcd://10.0.9.5:2379,10.0.9.6:2379": the endpoints, or an error naming --store.
Result<std::vector<EtcdEndpoint>> parse_etcd_url(std::string_view url);

struct EtcdClientOptions {
  std::vector<EtcdEndpoint> endpoints;
  // TLS (https) when ca_file is set; cert_file/key_file: the client certificate, if etcd asks.
  std::string ca_file, cert_file, key_file;
  // etcd user/password authentication when user is set.
  std::string user, password;
  // Tokens are fetched again this long after the last one (etcd's simple tokens expire after
  // --auth-token-ttl, 300 s by default) and whenever etcd says a token is invalid.
  std::chrono::milliseconds token_renewal{std::chrono::seconds(120)};
  // Per endpoint: a write to unreachable members fails within a few of these, not minutes.
  std::chrono::milliseconds connect_timeout{400};
  std::chrono::milliseconds request_timeout{1500};
  // A watch silent this long is re-established (with a re-read) in case its member vanished
  // without closing the connection.
  std::chrono::milliseconds watch_idle_timeout{std::chrono::seconds(30)};
  bool tls() const { return !ca_file.empty(); }
};

std::string base64_encode_text(std::string_view bytes);
// nullopt for text that is not base64.
std::optional<std::string> base64_decode_text(std::string_view text);

class EtcdClient {
 public:
  explicit EtcdClient(EtcdClientOptions options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POST /v3/<api> with `body`: etcd's answer. Tries the member that answered last, then the
  // others. Errors: ErrorCode::unavailable naming every endpoint tried and why, when no member
  // answers; ErrorCode::store with etcd's own message when one refuses (permission denied...).
  Result<nlohmann::json> call(std::string_view api, const nlohmann::json& body);
  // A streaming POST /v3/<api> (the watch): on_message gets each JSON message until it returns
  // false, the stream breaks or stop_stream() is called. One stream at a time.
  Result<void> stream(std::string_view api, const nlohmann::json& body,
                      const std::function<bool(const nlohmann::json&)>& on_message);
  // Ends the stream under way, if any (thread-safe).
  void stop_stream();

  // The endpoint that answered last ("10.0.9.5:2379").
  std::string current_endpoint() const;
  const EtcdClientOptions& options() const { return options_; }

 private:
  std::unique_ptr<httplib::Client> connect(const EtcdEndpoint& endpoint) const;
  // The Authorization header value, fetched (again) when due; empty without auth.
  Result<std::string> token(httplib::Client& http, const EtcdEndpoint& endpoint, bool renew);

  EtcdClientOptions options_;
  mutable std::mutex mu_;  // unary calls, one at a time; guards the members below
  size_t current_ = 0;
  std::vector<std::unique_ptr<httplib::Client>> clients_;  // kept-alive, per endpoint
  std::string token_;
  std::chrono::steady_clock::time_point token_time_{};

  std::mutex stream_mu_;
  httplib::Client* streaming_ = nullptr;  // guarded by stream_mu_
  std::atomic<bool> stream_stopped_{false};
};

}  // namespace xlb

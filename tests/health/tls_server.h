// An HTTPS server on 127.0.0.1 with a self-signed certificate made at test time (OpenSSL APIs,
// no files): answers every request with 200 "all ok".
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "health/unique_fd.h"

using SSL_CTX = struct ssl_ctx_st;

namespace xlb::health::testing {

class TlsServer {
 public:
  TlsServer();
  ~TlsServer();
  uint16_t port() const { return port_; }
  int handshakes_completed() const { return handshakes_; }
  // The certificate in PEM: CN=localhost, DNS:localhost, IP:127.0.0.1.
  const std::string& certificate_pem() const { return cert_pem_; }

 private:
  void serve_one(int client);

  SSL_CTX* ctx_ = nullptr;
  std::string cert_pem_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

}  // namespace xlb::health::testing

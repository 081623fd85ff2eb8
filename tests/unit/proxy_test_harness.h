// In-process xlb-proxy for unit tests: one real event loop (Worker) on a loopback listener of
// either family, configured the way xlbd configures it, and a TLS client to talk to it.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "proxy/config_applier.h"
#include "proxy/http_message.h"
#include "proxy/worker.h"

namespace xlb::proxy::testing_proxy {

void set_io_timeout(int fd, int seconds);
// A listener on `ip` ("127.0.0.1", "::1", or "::ffff:127.0.0.1": a dual-stack IPv6 socket as
// xlbd opens) and an ephemeral port, blocking unless asked; -1 on failure.
int listen_on(const std::string& ip, uint16_t& port, bool nonblocking);
// A blocking connection to ip:port with 5 s I/O timeouts; -1 on failure.
int connect_to(const std::string& ip, uint16_t port);

// A request head as the proxy's parser delivers it (the test fails if it does not parse).
MessageHead parsed_request(const std::string& text);

// A test endpoint on `ip` and an ephemeral port: one thread per connection runs `serve(fd)`
// (with 5 s I/O timeouts); the server closes the fd after it returns, and shuts every connection
// down and joins their threads when destroyed.
class ThreadedTestServer {
 public:
  ThreadedTestServer(const std::string& ip, std::function<void(int fd)> serve);
  ~ThreadedTestServer();
  ThreadedTestServer(const ThreadedTestServer&) = delete;
  ThreadedTestServer& operator=(const ThreadedTestServer&) = delete;
  uint16_t port() const { return port_; }
  bool listening() const { return listen_fd_ >= 0; }

 private:
  void accept_loop();

  std::function<void(int)> serve_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> connections_;
  std::thread accept_thread_;
};

// A client's TLS connection to the proxy (it trusts any certificate: what is checked is which
// one the proxy serves and what it forwards).
class TlsTestClient {
 public:
  explicit TlsTestClient(uint16_t port, const std::string& ip = "127.0.0.1");
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;
  bool connected() const { return connected_; }
  std::string served_cn() const;
  // "<status> <body>" of GET / for `host`; empty when the connection failed.
  std::string get(const std::string& host);

 private:
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

// One xlb-proxy event loop on a loopback port of `listen_ip`.
class ProxyUnderTest {
 public:
  explicit ProxyUnderTest(const std::string& listen_ip = "127.0.0.1");
  ~ProxyUnderTest();
  uint16_t port() const { return port_; }
  ConfigApplier& applier() { return applier_; }
  void start();
  nlohmann::json tls_stats() const { return registry_.snapshot({})["tls"]; }
  uint64_t failures(const std::string& side, const std::string& reason) const;

 private:
  ConfigStore store_;
  StatsRegistry registry_;
  ConfigApplier applier_;
  std::atomic<uint32_t> connections_{0};
  std::atomic<bool> stop_{false};
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
};

}  // namespace xlb::proxy::testing_proxy

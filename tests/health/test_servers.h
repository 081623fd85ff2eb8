// Local servers on 127.0.0.1 for the prober tests: each starts in its constructor and stops in
// its destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "health/probe_spec.h"
#include "health/unique_fd.h"

namespace httplib {
class Server;
}

namespace xlb::health::testing {

// Polls `done` every 5 ms for up to `limit`; true once it holds.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds limit = std::chrono::seconds(3));

// A port on 127.0.0.1 with nothing bound to it (bound once, then closed).
uint16_t unused_port(int type);

// A ProbeSpec for 127.0.0.1:port with fast timing for tests.
inline const std::string kLoopback = "127.0.0.1";
inline const std::string kLoopback6 = "::1";
ProbeSpec local_spec(ProbeType type, uint16_t port, double timeout_s = 0.3,
                     const std::string& host = kLoopback);

// A TCP server on 127.0.0.1 that accepts connections and closes them at once.
class TcpListener {
 public:
  explicit TcpListener(uint16_t port = 0,  // 0: any free port
                       const std::string& host = kLoopback);
  ~TcpListener();
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A TCP socket listening on 127.0.0.1 that never accepts: the kernel completes the handshake,
// but nothing ever answers (so an http probe times out).
class SilentTcp {
 public:
  SilentTcp();
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

// A UDP socket on 127.0.0.1 that reads nothing and answers nothing.
class SilentUdp {
 public:
  SilentUdp();
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

// A UDP server that answers every datagram with `prefix` + the datagram.
class UdpEcho {
 public:
  explicit UdpEcho(std::string prefix = "echo:");
  ~UdpEcho();
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
  std::string prefix_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// cpp-httplib on 127.0.0.1: /ok -> 200 "all ok", /fail -> 503 "down", /wrong -> 200 "nope".
class HttpServer {
 public:
  explicit HttpServer(const std::string& host = kLoopback);
  ~HttpServer();
  uint16_t port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace xlb::health::testing

#include "test_servers.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <stdexcept>

#include "health/socket_util.h"

namespace xlb::health::testing {
namespace {

// A socket of `type` bound to host:port (0 = any port); returns it and the port it got.
UniqueFd bound_socket(int type, uint16_t port, uint16_t& bound_port,
                      const std::string& host = kLoopback) {
  ProbeAddress to = probe_sockaddr(host, port);
  UniqueFd fd(::socket(to.family(), type | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), to.get(), to.len) != 0) {
    throw std::runtime_error("bind " + host + " port " + std::to_string(port) + " failed");
  }
  socklen_t len = to.len;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&to.storage), &len);
  // sin_port and sin6_port sit at the same offset.
  bound_port = ntohs(reinterpret_cast<const sockaddr_in*>(&to.storage)->sin_port);
  return fd;
}

}  // namespace

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

uint16_t unused_port(int type) {
  uint16_t port = 0;
  bound_socket(type, 0, port);  // closed again at once; nothing else binds on loopback here
  return port;
}

ProbeSpec local_spec(ProbeType type, uint16_t port, double timeout_s, const std::string& host) {
  ProbeSpec spec;
  spec.type = type;
  spec.ip = host;
  spec.port = port;
  spec.timeout_s = timeout_s;
  spec.period_s = 1;
  return spec;
}

TcpListener::TcpListener(uint16_t port, const std::string& host) {
  fd_ = bound_socket(SOCK_STREAM, port, port_, host);
  ::listen(fd_.get(), 128);
  // Accept, or the queue fills after 128 probes and later handshakes stall.
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      UniqueFd client(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (client) ++accepted_;
    }
  });
}

TcpListener::~TcpListener() {
  stop_ = true;
  thread_.join();
}

SilentTcp::SilentTcp() {
  fd_ = bound_socket(SOCK_STREAM, 0, port_);
  ::listen(fd_.get(), 16);
}

SilentUdp::SilentUdp() { fd_ = bound_socket(SOCK_DGRAM, 0, port_); }

UdpEcho::UdpEcho(std::string prefix) : prefix_(std::move(prefix)) {
  fd_ = bound_socket(SOCK_DGRAM, 0, port_);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[2048];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n =
          ::recvfrom(fd_.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 0) continue;
      std::string reply = prefix_ + std::string(buf, static_cast<size_t>(n));
      ::sendto(fd_.get(), reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
}

UdpEcho::~UdpEcho() {
  stop_ = true;
  thread_.join();
}

HttpServer::HttpServer(const std::string& host) : server_(std::make_unique<httplib::Server>()) {
  server_->Get("/ok", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("all ok", "text/plain");
  });
  server_->Get("/fail", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("down", "text/plain");
  });
  server_->Get("/wrong", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("nope", "text/plain");
  });
  port_ = static_cast<uint16_t>(server_->bind_to_any_port(host));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpServer::~HttpServer() {
  server_->stop();
  thread_.join();
}

}  // namespace xlb::health::testing

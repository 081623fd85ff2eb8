#include "proxy_test_harness.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/http_parser.h"
#include "proxy/socket_address.h"
#include "tls_test_pki.h"

namespace xlb::proxy::testing_proxy {

void set_io_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int listen_on(const std::string& ip, uint16_t& port, bool nonblocking) {
  auto address = parse_ip(ip);  // ::ffff:a.b.c.d stays IPv6 here: bound as such
  if (!address) return -1;
  sockaddr_storage sa{};
  socklen_t len = to_sockaddr({*address, 0}, sa);
  const int fd =
      socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  const int zero = 0;
  if (sa.ss_family == AF_INET6) setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  port = from_sockaddr(sa).value_or(SocketAddress{}).port;
  return fd;
}

int connect_to(const std::string& ip, uint16_t port) {
  auto address = parse_ip(ip);
  if (!address) return -1;
  sockaddr_storage sa{};
  const socklen_t len = to_sockaddr({*address, port}, sa);
  const int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  set_io_timeout(fd, 5);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

MessageHead parsed_request(const std::string& text) {
  static const Limits limits;
  HttpParser p(HttpParser::Kind::request, limits);
  std::string body;
  p.feed(text, body);
  EXPECT_NE(p.state(), HttpParser::State::failed) << p.fault().reason;
  return p.head();
}

ThreadedTestServer::ThreadedTestServer(const std::string& ip, std::function<void(int fd)> serve)
    : serve_(std::move(serve)) {
  listen_fd_ = listen_on(ip, port_, false);
  if (listen_fd_ >= 0) accept_thread_ = std::thread([this] { accept_loop(); });
}

ThreadedTestServer::~ThreadedTestServer() {
  stop_ = true;
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : connections_) t.join();
  for (int fd : fds_) close(fd);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void ThreadedTestServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    set_io_timeout(fd, 5);
    std::lock_guard lock(mu_);
    fds_.push_back(fd);
    connections_.emplace_back([this, fd] {
      serve_(fd);
      shutdown(fd, SHUT_RDWR);  // closed by the destructor, which may still shut it down
    });
  }
}

TlsTestClient::TlsTestClient(uint16_t port, const std::string& ip)
    : ctx_(SSL_CTX_new(TLS_client_method())) {
  fd_ = connect_to(ip, port);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
}

TlsTestClient::~TlsTestClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

std::string TlsTestClient::served_cn() const {
  X509* peer = SSL_get1_peer_certificate(ssl_);
  std::string cn = testing_pki::subject_cn(peer);
  X509_free(peer);
  return cn;
}

std::string TlsTestClient::get(const std::string& host) {
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return "";
  std::string in;
  char buf[4096];
  for (;;) {
    const size_t head_end = in.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      const size_t cl = in.find("Content-Length: ");
      const size_t length = cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
      if (in.size() >= head_end + 4 + length) {
        const std::string answer = in.substr(9, 3) + " " + in.substr(head_end + 4, length);
        in.erase(0, head_end + 4 + length);
        return answer;
      }
    }
    const int n = SSL_read(ssl_, buf, sizeof buf);
    if (n <= 0) return "";
    in.append(buf, static_cast<size_t>(n));
  }
}

ProxyUnderTest::ProxyUnderTest(const std::string& listen_ip) : applier_(store_, registry_) {
  listen_fd_ = listen_on(listen_ip, port_, true);
}

ProxyUnderTest::~ProxyUnderTest() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  worker_.reset();
  close(listen_fd_);
}

void ProxyUnderTest::start() {
  worker_ = std::make_unique<Worker>(listen_fd_, store_, registry_, connections_);
  thread_ = std::thread([this] { worker_->run(stop_); });
}

uint64_t ProxyUnderTest::failures(const std::string& side, const std::string& reason) const {
  const nlohmann::json stats = tls_stats();
  for (const auto& f : stats["failures"]) {
    if (f["side"] == side && f["reason"] == reason) return f["count"].get<uint64_t>();
  }
  return 0;
}

}  // namespace xlb::proxy::testing_proxy

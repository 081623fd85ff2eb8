// fullproxy on IPv6 (issue 24): socket addresses of both families (an IPv4 client on xlbd's
// dual-stack listener is IPv4, never ::ffff:a.b.c.d), listeners keyed by IPv6 VIPs, IPv6 clients
// in X-Forwarded-For and PPv2, and the real event loop serving IPv6 clients to IPv6 endpoints
// per request, in clear and with TLS terminated on an IPv6 VIP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "proxy/forward.h"
#include "proxy/http_parser.h"
#include "proxy/ppv2.h"
#include "proxy/runtime.h"
#include "proxy/socket_address.h"
#include "proxy_test_harness.h"
#include "tls_test_pki.h"

namespace xlb::proxy {
namespace {

using testing_proxy::connect_to;
using testing_proxy::parsed_request;
using testing_proxy::ProxyUnderTest;
using testing_proxy::TlsTestClient;

sockaddr_storage v6_sockaddr(const char* text, uint16_t port) {
  sockaddr_storage ss{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, text, &in6.sin6_addr), 1) << text;
  return ss;
}

TEST(ProxySocketAddress, AnIpv4MappedPeerIsIpv4AndIpv6StaysIpv6) {
  auto mapped = from_sockaddr(v6_sockaddr("::ffff:10.1.1.10", 40000));
  ASSERT_TRUE(mapped);
  EXPECT_FALSE(mapped->ip.v6());
  EXPECT_EQ(format_ip(mapped->ip), "10.1.1.10");
  EXPECT_EQ(mapped->port, 40000);
  auto v6 = from_sockaddr(v6_sockaddr("2001:db8:c::10", 443));
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ip.v6());
  EXPECT_EQ(format_ip(v6->ip), "2001:db8:c::10");
  sockaddr_storage unix_sa{};
  unix_sa.ss_family = AF_UNIX;
  EXPECT_FALSE(from_sockaddr(unix_sa));

  // What the proxy connects to: each family's sockaddr, and back.
  for (const char* text : {"10.1.2.10", "2001:db8:b::10"}) {
    sockaddr_storage sa{};
    const socklen_t len = to_sockaddr({parse_ip(text).value(), 8080}, sa);
    EXPECT_EQ(len, std::strchr(text, ':') ? sizeof(sockaddr_in6) : sizeof(sockaddr_in)) << text;
    auto back = from_sockaddr(sa);
    ASSERT_TRUE(back);
    EXPECT_EQ(format_ip(back->ip), text);
    EXPECT_EQ(back->port, 8080);
  }
}

TEST(ProxySocketAddress, ListenAddressesBracketIpv6) {
  auto v4 = parse_socket_address("10.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(format_ip(v4->ip), "10.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  auto v6 = parse_socket_address("[2001:db8::1]:80");
  ASSERT_TRUE(v6);
  EXPECT_EQ(format_ip(v6->ip), "2001:db8::1");
  EXPECT_EQ(v6->port, 80);
  for (const char* bad : {"2001:db8::1:80", "[10.0.0.1]:80", "[::1]:", "[::1]:70000", "[::1]",
                          "10.0.0.1", ":80", "10.0.0.1:8o", "[::1]:-1"})
    EXPECT_FALSE(parse_socket_address(bad)) << bad;
}

// X-Forwarded-For carries the bare RFC 5952 address (what nginx's $remote_addr and HAProxy's
// forwardfor write; brackets are Forwarded's syntax, RFC 7239, which xlb-proxy passes on or
// drops but never writes).
TEST(ProxyForward, Ipv6ClientsInXForwardedFor) {
  const MessageHead forged = parsed_request(
      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 2001:db8:6::6\r\n"
      "Forwarded: for=\"[2001:db8:6::6]:4711\"\r\n\r\n");
  ForwardContext ctx{.client = "2001:db8:c::10", .listen_port = 80};
  std::string head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 2001:db8:6::6, 2001:db8:c::10\r\n"), std::string::npos)
      << head;
  EXPECT_NE(head.find("Forwarded: for=\"[2001:db8:6::6]:4711\"\r\n"), std::string::npos) << head;

  ctx.xff = model::Xff::replace;  // an untrusted IPv6 client: its claims are dropped
  head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 2001:db8:c::10\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("2001:db8:6::6"), std::string::npos) << head;

  ctx.client_trusted = true;  // inside --xff-trusted: its chain and Forwarded are kept
  head = backend_request_head(forged, ctx);
  EXPECT_NE(head.find("X-Forwarded-For: 2001:db8:6::6, 2001:db8:c::10\r\n"), std::string::npos)
      << head;
  EXPECT_NE(head.find("Forwarded: for=\"[2001:db8:6::6]:4711\"\r\n"), std::string::npos) << head;
}

TEST(ProxyPpv2, Ipv6SourceInRfc5952Form) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += std::string("\x21\x21\x00\x24", 4);  // PROXY, TCP over IPv6, 36 address bytes
  unsigned char src[16], dst[16];
  inet_pton(AF_INET6, "2001:db8:0:0:0:0:0:7", src);
  inet_pton(AF_INET6, "2001:db8:f::100", dst);
  h.append(reinterpret_cast<char*>(src), 16).append(reinterpret_cast<char*>(dst), 16);
  h += std::string("\x30\x39\x00\x50", 4);
  EXPECT_EQ(parse_ppv2(h.substr(0, 40)).status, Ppv2Header::Status::need_more);
  const Ppv2Header ok = parse_ppv2(h + "GET");
  ASSERT_EQ(ok.status, Ppv2Header::Status::ok);
  EXPECT_EQ(ok.length, 52u);
  EXPECT_EQ(ok.source, "2001:db8::7");
}

model::Service proxy_rule(const std::string& vip, uint16_t port,
                          std::vector<model::Endpoint> endpoints) {
  model::Service s;
  s.key = {vip, model::Protocol::tcp, port, ""};
  s.mode = model::Mode::fullproxy;
  s.endpoints = std::move(endpoints);
  return s;
}

// An IPv6 VIP:port is a listener of its own: never the IPv4 VIP of the same port, nor one whose
// first word spells it; PPv2 trust on it is decided on an IPv6 peer.
TEST(ProxyRouting, Ipv6VipsAreListenersOfTheirOwn) {
  StatsRegistry registry;
  ProxyConfig config;
  config.rules = {proxy_rule("20.20.20.1", 80, {{"10.1.2.10", 8080}}),
                  proxy_rule("2001:db8:f::100", 80, {{"2001:db8:b::10", 8080}})};
  config.rules[1].xff_trusted = {"2001:db8:c::/64"};
  auto rt = build_runtime(config, registry);
  const IpPortKey v6 = ip_port_key(parse_ip("2001:db8:f::100").value(), 80);
  const IpPortKey v4 = ip_port_key(parse_ip("20.20.20.1").value(), 80);
  ASSERT_NE(rt->route(v6, "any"), nullptr);
  EXPECT_EQ(rt->route(v6, "any")->service.endpoints[0].ip, "2001:db8:b::10");
  EXPECT_EQ(rt->route(v4, "any")->service.endpoints[0].ip, "10.1.2.10");
  IpAddress first_word_only = parse_ip("2001:db8:f::100").value();
  first_word_only.family = XLB_AF_INET;
  EXPECT_EQ(rt->route(ip_port_key(first_word_only, 80), "any"), nullptr);
  EXPECT_EQ(rt->route(ip_port_key(parse_ip("2001:db8:f::100").value(), 81), "any"), nullptr);
  EXPECT_TRUE(rt->trusts_on_listener(v6, parse_ip("2001:db8:c::10").value()));
  EXPECT_FALSE(rt->trusts_on_listener(v6, parse_ip("2001:db8:d::10").value()));
  EXPECT_FALSE(rt->trusts_on_listener(v4, parse_ip("2001:db8:c::10").value()));
}

// An HTTP endpoint on loopback answering every request of a keep-alive connection with
// "<name> xff=<X-Forwarded-For> xfp=<X-Forwarded-Proto>".
class EchoEndpoint {
 public:
  EchoEndpoint(std::string name, const std::string& ip)
      : name_(std::move(name)), server_(ip, [this](int fd) { serve(fd); }) {}
  uint16_t port() const { return server_.port(); }
  bool listening() const { return server_.listening(); }

 private:
  static std::string field(const std::string& head, const std::string& name) {
    const size_t at = head.find("\r\n" + name + ": ");
    if (at == std::string::npos) return "";
    const size_t from = at + name.size() + 4;
    return head.substr(from, head.find("\r\n", from) - from);
  }

  void serve(int fd) const {
    std::string in;
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
      in.append(buf, static_cast<size_t>(n));
      for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
        const std::string head = in.substr(0, end + 2);
        in.erase(0, end + 4);
        const std::string body = name_ + " xff=" + field(head, "X-Forwarded-For") +
                                 " xfp=" + field(head, "X-Forwarded-Proto");
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        if (write(fd, answer.data(), answer.size()) < 0) return;
      }
    }
  }

  const std::string name_;
  testing_proxy::ThreadedTestServer server_;  // last: its threads use name_
};

// `count` GETs on one connection to ip:port; the body of each answer.
std::vector<std::string> keepalive_gets(const std::string& ip, uint16_t port, int count) {
  std::vector<std::string> bodies;
  const int fd = connect_to(ip, port);
  if (fd < 0) return bodies;
  std::string in;
  char buf[4096];
  for (int i = 0; i < count; ++i) {
    const std::string request = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    if (write(fd, request.data(), request.size()) < 0) break;
    for (;;) {
      const size_t head_end = in.find("\r\n\r\n");
      const size_t cl = in.find("Content-Length: ");
      if (head_end != std::string::npos && cl < head_end) {
        const size_t length = std::stoul(in.substr(cl + 16));
        if (in.size() >= head_end + 4 + length) {
          bodies.push_back(in.substr(head_end + 4, length));
          in.erase(0, head_end + 4 + length);
          break;
        }
      }
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) {
        close(fd);
        return bodies;
      }
      in.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return bodies;
}

class ProxyIpv6 : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!b1_.listening() || !b2_.listening()) GTEST_SKIP() << "no IPv6 loopback (::1) here";
  }
  void configure(ProxyUnderTest& proxy, model::Service rule) {
    auto applied = proxy.applier().apply(config_message(ProxyConfig{{}, {std::move(rule)}}));
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    ASSERT_TRUE(applied->errors.empty()) << applied->errors[0];
  }
  std::vector<model::Endpoint> endpoints() const {
    return {{"::1", b1_.port(), 1, model::EndpointState::up},
            {"::1", b2_.port(), 1, model::EndpointState::up}};
  }

  EchoEndpoint b1_{"b1", "::1"}, b2_{"b2", "::1"};
};

// The real event loop: an IPv6 client of an IPv6 VIP (the listener's own address, ::1) is
// balanced per request over two IPv6 endpoints on one keep-alive connection, and each endpoint
// sees the client's IPv6 address in X-Forwarded-For.
TEST_F(ProxyIpv6, Ipv6ClientsReachIpv6EndpointsPerRequestWithTheirAddressInXff) {
  ProxyUnderTest proxy("::1");
  configure(proxy, proxy_rule("::1", proxy.port(), endpoints()));
  proxy.start();
  const auto bodies = keepalive_gets("::1", proxy.port(), 4);
  ASSERT_EQ(bodies.size(), 4u);
  EXPECT_EQ(bodies[0].substr(2), bodies[2].substr(2));
  std::set<std::string> names;
  for (const auto& b : bodies) {
    EXPECT_EQ(b.substr(2), " xff=::1 xfp=http") << b;
    names.insert(b.substr(0, 2));
  }
  EXPECT_EQ(names, (std::set<std::string>{"b1", "b2"})) << "rr per request, not per connection";
}

// xlbd's listener is dual-stack (bound to ::ffff:127.0.0.1): an IPv4 client arrives IPv4-mapped
// and must reach the IPv4 VIP's rule and be named as IPv4, not ::ffff:127.0.0.1.
TEST_F(ProxyIpv6, AnIpv4ClientOnTheDualStackListenerIsIpv4) {
  EchoEndpoint b4("b4", "127.0.0.1");
  ProxyUnderTest proxy("::ffff:127.0.0.1");
  configure(proxy, proxy_rule("127.0.0.1", proxy.port(),
                              {{"127.0.0.1", b4.port(), 1, model::EndpointState::up}}));
  proxy.start();
  const auto bodies = keepalive_gets("127.0.0.1", proxy.port(), 2);
  ASSERT_EQ(bodies.size(), 2u);
  for (const auto& b : bodies) EXPECT_EQ(b, "b4 xff=127.0.0.1 xfp=http");
}

// https on an IPv6 VIP: the proxy's certificate is found by the IPv6 listener, the request goes
// on to an IPv6 endpoint with X-Forwarded-Proto https.
TEST_F(ProxyIpv6, TlsIsTerminatedOnIpv6Vips) {
  ProxyUnderTest proxy("::1");
  const auto pem = testing_pki::write_self_signed_pem("v6.proxy.test");
  model::Service rule = proxy_rule("::1", proxy.port(), endpoints());
  rule.security = model::Security::https;
  rule.tls_cert = pem.cert;
  rule.tls_key = pem.key;
  configure(proxy, rule);
  proxy.start();
  TlsTestClient client(proxy.port(), "::1");
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.served_cn(), "v6.proxy.test");
  const std::string answer = client.get("a");
  EXPECT_TRUE(answer == "200 b1 xff=::1 xfp=https" || answer == "200 b2 xff=::1 xfp=https")
      << answer;
}

}  // namespace
}  // namespace xlb::proxy

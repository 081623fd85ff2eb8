// Each prober against a real local server on 127.0.0.1, one probe at a time (probe_once).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "health/icmp_socket.h"
#include "health/probe.h"
#include "health/probe_run.h"
#include "test_servers.h"
#include "tls_server.h"

namespace xlb::health {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using ::testing::StartsWith;

void expect_up(const ProbeResult& r, bool with_latency = true) {
  EXPECT_TRUE(r.up) << r.error;
  EXPECT_EQ(r.latency.has_value(), with_latency);
}

void expect_down(const ProbeResult& r, const std::string& error) {
  EXPECT_FALSE(r.up);
  EXPECT_EQ(r.error, error);
}

TEST(TcpProbe, UpWhenSomethingListens) {
  TcpListener server;
  expect_up(probe_once(local_spec(ProbeType::tcp, server.port())));
}

TEST(TcpProbe, DownWhenRefused) {
  expect_down(probe_once(local_spec(ProbeType::tcp, unused_port(SOCK_STREAM))),
              "connection refused");
}

// IPv6 targets: the same probers over ::1 (tcp, http with a bracketed Host, ICMPv6 echo).
TEST(TcpProbe, UpOverIpv6AndRefusedWhenNothingListens) {
  TcpListener server(0, kLoopback6);
  expect_up(probe_once(local_spec(ProbeType::tcp, server.port(), 0.3, kLoopback6)));
  EXPECT_TRUE(wait_until([&server] { return server.accepted() == 1; }));
  expect_down(probe_once(local_spec(ProbeType::tcp, unused_port(SOCK_STREAM), 0.3, kLoopback6)),
              "connection refused");
}

TEST(HttpProbe, UpOverIpv6) {
  HttpServer server(kLoopback6);
  auto spec = local_spec(ProbeType::http, server.port(), 0.3, kLoopback6);
  spec.request = "/ok";
  spec.expect = "all ok";
  expect_up(probe_once(spec));
  spec.request = "/fail";
  expect_down(probe_once(spec), "http 503");
}

TEST(PingProbe, UpWhenIpv6LoopbackAnswers) {
  ProbeResult r = probe_once(local_spec(ProbeType::ping, 0, 0.3, kLoopback6));
  if (!r.up && r.error.starts_with("cannot open an icmpv6 socket")) GTEST_SKIP() << r.error;
  expect_up(r);
}

TEST(UdpProbe, UpOnAReply) {
  UdpEcho server;
  auto spec = local_spec(ProbeType::udp, server.port());
  spec.request = "hello";
  expect_up(probe_once(spec));
  spec.expect = "echo:hello";
  expect_up(probe_once(spec));
}

TEST(UdpProbe, DownOnAReplyWithoutTheExpectedText) {
  UdpEcho server;
  auto spec = local_spec(ProbeType::udp, server.port());
  spec.expect = "pong";
  expect_down(probe_once(spec), "reply does not contain \"pong\"");
}

TEST(UdpProbe, SilenceIsUpUnlessAReplyIsExpected) {
  SilentUdp server;
  auto spec = local_spec(ProbeType::udp, server.port(), 0.1);
  expect_up(probe_once(spec), /*with_latency=*/false);
  spec.expect = "pong";
  expect_down(probe_once(spec), "timeout after 0.1s without a reply");
}

TEST(UdpProbe, DownOnIcmpPortUnreachable) {
  expect_down(probe_once(local_spec(ProbeType::udp, unused_port(SOCK_DGRAM))),
              "icmp port unreachable");
}

TEST(PingProbe, UpWhenLoopbackAnswers) {
  ProbeSpec spec = local_spec(ProbeType::ping, 0);
  ProbeResult r = probe_once(spec);
  if (!r.up && r.error.starts_with("cannot open an icmp socket")) GTEST_SKIP() << r.error;
  expect_up(r);
}

// Cancelling a ping (timeout, target removed) must leave the shared ICMP socket consistent: the
// late reply is dropped, and the next ping on the same socket still gets its own.
TEST(PingProbe, ACancelledPingIgnoresItsLateReply) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  ProbeEnv env(**loop);
  if (!env.icmp(XLB_AF_INET)) GTEST_SKIP() << env.icmp(XLB_AF_INET).error().message;
  ProbeSpec spec = local_spec(ProbeType::ping, 0);
  bool cancelled_called = false;
  auto cancelled =
      std::make_unique<ProbeRun>(env, spec, [&](ProbeResult) { cancelled_called = true; });
  cancelled.reset();  // before the loop reads the reply
  std::optional<ProbeResult> next;
  ProbeRun again(env, spec, [&](ProbeResult r) { next = std::move(r); });
  while (!next) (*loop)->run_once(std::chrono::milliseconds(100));
  EXPECT_FALSE(cancelled_called);
  expect_up(*next);
}

TEST(HttpProbe, UpOnAStatusInRangeAndTheExpectedBody) {
  HttpServer server;
  auto spec = local_spec(ProbeType::http, server.port());
  spec.request = "/ok";
  expect_up(probe_once(spec));
  spec.expect = "all ok";
  expect_up(probe_once(spec));
}

TEST(HttpProbe, DownOnAWrongStatus) {
  HttpServer server;
  auto spec = local_spec(ProbeType::http, server.port());
  spec.request = "/fail";
  expect_down(probe_once(spec), "http 503");
  spec.request = "/missing";
  expect_down(probe_once(spec), "http 404");
  spec.expect_status = {404, 404};
  expect_up(probe_once(spec));
}

TEST(HttpProbe, DownOnAWrongBody) {
  HttpServer server;
  auto spec = local_spec(ProbeType::http, server.port());
  spec.request = "/wrong";
  spec.expect = "ok";
  expect_down(probe_once(spec), "body does not contain \"ok\"");
}

TEST(HttpProbe, DownWhenRefused) {
  expect_down(probe_once(local_spec(ProbeType::http, unused_port(SOCK_STREAM))),
              "connection refused");
}

TEST(HttpProbe, TimesOutOnAServerThatNeverAnswers) {
  SilentTcp silent;
  auto start = std::chrono::steady_clock::now();
  expect_down(probe_once(local_spec(ProbeType::http, silent.port(), 0.2)), "timeout after 0.2s");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_LT(took, std::chrono::milliseconds(600));
}

TEST(HttpsProbe, UpWithoutVerification) {
  TlsServer server;
  auto spec = local_spec(ProbeType::https, server.port());
  spec.expect = "all ok";
  expect_up(probe_once(spec));
  EXPECT_EQ(server.handshakes_completed(), 1);
}

TEST(HttpsProbe, DownWhenVerificationRejectsASelfSignedCertificate) {
  TlsServer server;
  auto spec = local_spec(ProbeType::https, server.port());
  spec.verify = true;
  ProbeResult r = probe_once(spec);
  EXPECT_FALSE(r.up);
  EXPECT_THAT(r.error, StartsWith("certificate verify failed"));
  EXPECT_THAT(r.error, HasSubstr("self-signed"));
}

// Trusting the test certificate through SSL_CERT_FILE (honoured by OpenSSL's default verify
// paths) shows what verification checks beyond the chain: the name.
TEST(HttpsProbe, VerificationChecksTheNameOfATrustedCertificate) {
  TlsServer server;
  std::string ca_file = "/tmp/xlb_health_test_ca_" + std::to_string(::getpid()) + ".pem";
  { std::ofstream(ca_file) << server.certificate_pem(); }
  ::setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  auto spec = local_spec(ProbeType::https, server.port());
  spec.verify = true;
  ProbeResult by_ip = probe_once(spec);  // no host: the certificate must name 127.0.0.1
  spec.host = "localhost";
  ProbeResult by_name = probe_once(spec);
  spec.host = "other.example";
  ProbeResult wrong_name = probe_once(spec);
  ::unsetenv("SSL_CERT_FILE");
  std::remove(ca_file.c_str());

  expect_up(by_ip);
  expect_up(by_name);
  expect_down(wrong_name, "certificate verify failed (hostname mismatch)");
}

TEST(HttpsProbe, DownWhenTheServerDoesNotSpeakTls) {
  HttpServer server;
  ProbeResult r = probe_once(local_spec(ProbeType::https, server.port()));
  EXPECT_FALSE(r.up);
  EXPECT_THAT(r.error, StartsWith("tls handshake failed"));
}

TEST(ProbeOnce, ReportsAnInvalidSpecInsteadOfProbing) {
  auto spec = local_spec(ProbeType::tcp, 0);
  expect_down(probe_once(spec), "probe.port must be from 1 to 65535 for tcp probes");
}

}  // namespace
}  // namespace xlb::health

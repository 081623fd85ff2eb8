// e2ehttps in-process: a proxy event loop (the real Worker) between a TLS client and a real TLS
// endpoint (OpenSSL, on loopback), one rule per Host with its own verification settings. The
// endpoint's certificate is verified against the rule's CA and the endpoint's IP or the rule's
// backend name; a refused one is a 502 and a counted failure with OpenSSL's reason. A reload in
// the middle of a keep-alive connection leaves that connection serving while new handshakes get
// the new certificate.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "proxy/config_applier.h"
#include "proxy/worker.h"
#include "proxy_test_harness.h"
#include "tls_test_pki.h"

namespace xlb::proxy {
namespace {

using testing_pki::PemFiles;
using testing_pki::TestCert;
using testing_proxy::ProxyUnderTest;
using testing_proxy::TlsTestClient;

// An HTTPS endpoint: answers every request of a keep-alive connection with 200 "from the
// endpoint", one thread per connection.
class TlsTestEndpoint {
 public:
  explicit TlsTestEndpoint(const PemFiles& pem) : ctx_(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_use_certificate_file(ctx_, pem.cert.c_str(), SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx_, pem.key.c_str(), SSL_FILETYPE_PEM);
    server_ = std::make_unique<testing_proxy::ThreadedTestServer>("127.0.0.1",
                                                                  [this](int fd) { serve(fd); });
  }
  ~TlsTestEndpoint() {
    server_.reset();  // its connections end before the context they use
    SSL_CTX_free(ctx_);
  }
  uint16_t port() const { return server_->port(); }
  int handshakes() const { return handshakes_.load(); }

 private:
  void serve(int fd) {
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1) {
      ++handshakes_;
      std::string in;
      char buf[4096];
      for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) {
        in.append(buf, static_cast<size_t>(n));
        for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
          in.erase(0, end + 4);
          const std::string answer =
              "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\nfrom the endpoint";
          SSL_write(ssl, answer.data(), static_cast<int>(answer.size()));
        }
      }
    }
    SSL_free(ssl);
    ERR_clear_error();
  }

  SSL_CTX* ctx_;
  std::atomic<int> handshakes_{0};
  std::unique_ptr<testing_proxy::ThreadedTestServer> server_;
};

class ProxyE2eHttps : public ::testing::Test {
 protected:
  void SetUp() override {
    trusted_ca_ = testing_pki::make_test_cert("xlb test CA", nullptr, "", 1, true);
    other_ca_ = testing_pki::make_test_cert("another CA", nullptr, "", 1, true);
    const TestCert endpoint_cert =
        testing_pki::make_test_cert("backend.test", &trusted_ca_, "DNS:backend.test,IP:127.0.0.1");
    endpoint_pem_ = testing_pki::write_test_pem(endpoint_cert, "e2e_endpoint");
    trusted_ca_file_ = testing_pki::write_test_pem(trusted_ca_, "e2e_trusted_ca").cert;
    other_ca_file_ = testing_pki::write_test_pem(other_ca_, "e2e_other_ca").cert;
    proxy_pem_ = testing_pki::write_self_signed_pem("proxy.test");
    endpoint_ = std::make_unique<TlsTestEndpoint>(endpoint_pem_);
  }

  // An e2ehttps rule of the proxy's port for `host` ("" = the default) to the endpoint.
  model::Service rule(const std::string& host) const {
    model::Service r;
    r.key = {"127.0.0.1", model::Protocol::tcp, proxy_.port(), host};
    r.mode = model::Mode::fullproxy;
    r.security = model::Security::e2ehttps;
    r.tls_cert = proxy_pem_.cert;
    r.tls_key = proxy_pem_.key;
    r.backend_ca = trusted_ca_file_;
    r.endpoints = {{"127.0.0.1", endpoint_->port()}};
    return r;
  }

  void configure(std::vector<model::Service> rules) {
    auto applied = proxy_.applier().apply(config_message(ProxyConfig{{}, std::move(rules)}));
    ASSERT_TRUE(applied.ok()) << applied.error().message;
    ASSERT_TRUE(applied->errors.empty()) << applied->errors[0];
  }

  TestCert trusted_ca_, other_ca_;
  PemFiles endpoint_pem_, proxy_pem_;
  std::string trusted_ca_file_, other_ca_file_;
  std::unique_ptr<TlsTestEndpoint> endpoint_;
  ProxyUnderTest proxy_;
};

TEST_F(ProxyE2eHttps, EndpointsAreVerifiedByCaAndNameAndRefusalsCounted) {
  model::Service by_ip = rule("");  // the endpoint's IP must be in its certificate
  model::Service wrong_ca = rule("wrong-ca.test");
  wrong_ca.backend_ca = other_ca_file_;
  model::Service by_name = rule("name.test");
  by_name.backend_name = "backend.test";
  model::Service wrong_name = rule("wrong-name.test");
  wrong_name.backend_name = "other.test";
  model::Service insecure = rule("insecure.test");
  insecure.backend_ca.clear();
  insecure.insecure_backend = true;
  model::Service system_store = rule("system.test");  // the test CA is in no system store
  system_store.backend_ca.clear();
  configure({by_ip, wrong_ca, by_name, wrong_name, insecure, system_store});
  proxy_.start();

  TlsTestClient client(proxy_.port());
  ASSERT_TRUE(client.connected());
  EXPECT_EQ(client.get("any.test"), "200 from the endpoint");
  EXPECT_EQ(client.get("name.test"), "200 from the endpoint");
  EXPECT_EQ(client.get("insecure.test"), "200 from the endpoint");
  const int verified_handshakes = endpoint_->handshakes();
  EXPECT_GE(verified_handshakes, 3) << "one connection per rule (pools are per rule's context)";
  EXPECT_EQ(proxy_.tls_stats()["handshakes"]["backend"].get<uint64_t>(),
            static_cast<uint64_t>(verified_handshakes));

  const auto refused_with = [this](const std::string& host) {
    TlsTestClient c(proxy_.port());
    return c.get(host).substr(0, 3);
  };
  EXPECT_EQ(refused_with("wrong-ca.test"), "502");
  EXPECT_EQ(proxy_.failures("backend", "unable_to_get_local_issuer_certificate"), 1u);
  EXPECT_EQ(refused_with("wrong-name.test"), "502");
  EXPECT_EQ(proxy_.failures("backend", "hostname_mismatch"), 1u);
  EXPECT_EQ(refused_with("system.test"), "502");
  EXPECT_EQ(proxy_.failures("backend", "unable_to_get_local_issuer_certificate"), 2u);
  EXPECT_GE(proxy_.tls_stats()["handshakes"]["client"].get<uint64_t>(), 4u);
}

TEST_F(ProxyE2eHttps, TheEndpointsIpMustBeInItsCertificate) {
  const TestCert no_ip = testing_pki::make_test_cert("dns-only", &trusted_ca_, "DNS:backend.test");
  endpoint_.reset();
  endpoint_ = std::make_unique<TlsTestEndpoint>(testing_pki::write_test_pem(no_ip, "e2e_dns_only"));
  configure({rule("")});
  proxy_.start();
  TlsTestClient client(proxy_.port());
  EXPECT_EQ(client.get("any.test").substr(0, 3), "502");
  EXPECT_EQ(proxy_.failures("backend", "ip_address_mismatch"), 1u);
}

TEST_F(ProxyE2eHttps, ARuleWhoseCaFileDoesNotLoadAnswers502AndSaysWhy) {
  model::Service r = rule("");
  r.backend_ca = "/nonexistent/xlb-test-ca.pem";
  auto applied = proxy_.applier().apply(config_message(ProxyConfig{{}, {r}}));
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->errors.size(), 1u);
  EXPECT_NE(applied->errors[0].find("backend_ca /nonexistent/xlb-test-ca.pem"), std::string::npos)
      << applied->errors[0];
  proxy_.start();
  TlsTestClient client(proxy_.port());
  const std::string answer = client.get("a.test");
  EXPECT_EQ(answer.substr(0, 3), "502");
  EXPECT_NE(answer.find("TLS settings for its endpoints did not load"), std::string::npos)
      << answer;
  EXPECT_EQ(endpoint_->handshakes(), 0) << "nothing unverified reached the endpoint";
}

TEST_F(ProxyE2eHttps, AReloadKeepsOpenConnectionsAndServesNewHandshakesTheNewCertificate) {
  configure({rule("")});
  proxy_.start();
  TlsTestClient before(proxy_.port());
  ASSERT_TRUE(before.connected());
  EXPECT_EQ(before.get("a.test"), "200 from the endpoint");
  EXPECT_EQ(before.served_cn(), "proxy.test");

  testing_pki::write_test_pem(testing_pki::make_test_cert("renewed.test", nullptr), "proxy.test");
  const TlsLoadReport report = proxy_.applier().reload_tls();
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(before.get("a.test"), "200 from the endpoint") << "the open connection goes on";
  TlsTestClient after(proxy_.port());
  ASSERT_TRUE(after.connected());
  EXPECT_EQ(after.served_cn(), "renewed.test");
  EXPECT_EQ(after.get("a.test"), "200 from the endpoint");
  EXPECT_EQ(before.get("a.test"), "200 from the endpoint");
}

}  // namespace
}  // namespace xlb::proxy

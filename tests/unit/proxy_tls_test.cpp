// TLS files of https rules: what xlbd refuses before a rule is accepted (a key others may read,
// a key of another certificate, a missing file) and the certificate a handshake gets by SNI.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "proxy/tls_context.h"

namespace xlb::proxy {
namespace {

struct TestPem {
  std::string cert, key;
};

// A fresh P-256 key and a self-signed certificate for `cn`, written as PEM under the test's
// temporary directory; the key with `key_mode`.
TestPem write_test_pem(const std::string& cn, mode_t key_mode) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, pkey, EVP_sha256());
  const std::string base = ::testing::TempDir() + "xlb_tls_" + cn;
  TestPem pem{base + ".crt", base + ".key"};
  FILE* f = std::fopen(pem.cert.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(pem.key.c_str(), "w");
  PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  chmod(pem.key.c_str(), key_mode);
  X509_free(x);
  EVP_PKEY_free(pkey);
  return pem;
}

// The subject CN of a context's certificate.
std::string context_cn(SSL_CTX* ctx) {
  X509* x = SSL_CTX_get0_certificate(ctx);
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  return cn;
}

TEST(ProxyTls, KeyFilesAreCheckedBeforeARuleIsAccepted) {
  const TestPem a = write_test_pem("a.example", 0600);
  const TestPem b = write_test_pem("b.example", 0644);
  ASSERT_TRUE(load_server_context(a.cert, a.key).ok());

  auto open = load_server_context(b.cert, b.key, "services[0].");
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.error().field, "services[0].tls_key");
  EXPECT_NE(open.error().message.find("readable by its owner only (mode 0644; chmod 600 it)"),
            std::string::npos)
      << open.error().message;

  chmod(b.key.c_str(), 0600);
  auto other = load_server_context(a.cert, b.key);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("does not match the certificate"), std::string::npos);
  auto missing = load_server_context(a.cert + ".gone", a.key);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().field, "tls_cert");

  model::Service rule;
  rule.mode = model::Mode::fullproxy;
  rule.security = model::Security::https;
  rule.tls_cert = a.cert;
  rule.tls_key = b.key;
  EXPECT_FALSE(check_rule_tls_files(rule, "").ok());
  rule.security = model::Security::none;
  EXPECT_TRUE(check_rule_tls_files(rule, "").ok()) << "nothing to check without TLS";
}

SslCtxPtr loaded_context(const TestPem& pem) {
  auto ctx = load_server_context(pem.cert, pem.key);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  return ctx.ok() ? std::move(*ctx) : nullptr;
}

TEST(ProxyTls, SniPicksTheHostsCertificateElseTheDefault) {
  const TestPem a = write_test_pem("www.a.com", 0600);
  const TestPem d = write_test_pem("default.example", 0600);
  TlsListener hosts_only;
  hosts_only.add("www.a.com", loaded_context(a));
  EXPECT_EQ(context_cn(hosts_only.default_context()), "www.a.com") << "no default rule";

  TlsListener listener;
  listener.add("www.a.com", loaded_context(a));
  listener.add("", loaded_context(d));
  EXPECT_EQ(context_cn(listener.default_context()), "default.example");
  ASSERT_NE(listener.context_for("WWW.A.COM"), nullptr);
  EXPECT_EQ(context_cn(listener.context_for("WWW.A.COM")), "www.a.com");
  EXPECT_EQ(listener.context_for("www.b.com"), nullptr);
}

}  // namespace
}  // namespace xlb::proxy

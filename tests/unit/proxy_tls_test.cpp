// TLS files of https rules: what xlbd refuses before a rule is accepted (a key others may read,
// a key of another certificate, a missing file), the certificate a handshake gets by SNI, the
// reload of renewed files (and the refusal of bad ones), the days left on a certificate.
#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "proxy/config_applier.h"
#include "proxy/tls_context.h"
#include "tls_test_pki.h"

namespace xlb::proxy {
namespace {

using testing_pki::PemFiles;

// A fresh self-signed certificate for `cn`, its key with `key_mode`.
PemFiles write_test_pem(const std::string& cn, mode_t key_mode) {
  return testing_pki::write_self_signed_pem(cn, key_mode);
}

// The subject CN of a context's certificate.
std::string context_cn(SSL_CTX* ctx) {
  return testing_pki::subject_cn(SSL_CTX_get0_certificate(ctx));
}

TEST(ProxyTls, KeyFilesAreCheckedBeforeARuleIsAccepted) {
  const PemFiles a = write_test_pem("a.example", 0600);
  const PemFiles b = write_test_pem("b.example", 0644);
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

SslCtxPtr loaded_context(const PemFiles& pem) {
  auto ctx = load_server_context(pem.cert, pem.key);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  return ctx.ok() ? std::move(*ctx) : nullptr;
}

TEST(ProxyTls, SniPicksTheHostsCertificateElseTheDefault) {
  const PemFiles a = write_test_pem("www.a.com", 0600);
  const PemFiles d = write_test_pem("default.example", 0600);
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

model::Service reload_test_rule(const PemFiles& pem) {
  model::Service r;
  r.key = {"20.20.20.1", model::Protocol::tcp, 443};
  r.mode = model::Mode::fullproxy;
  r.security = model::Security::https;
  r.tls_cert = pem.cert;
  r.tls_key = pem.key;
  r.endpoints = {{"10.1.2.10", 8080}};
  return r;
}

std::shared_ptr<const TlsListener> served_listener(const ConfigStore& store) {
  return store.current()->tls_for(ip_port_key(parse_ip("20.20.20.1").value(), 443));
}

std::string served_cn(const ConfigStore& store) {
  auto listener = served_listener(store);
  return listener ? context_cn(listener->default_context()) : "";
}

// Certificates renewed on disk are taken by new handshakes (a file watch or a forced reload);
// a listener a connection started with keeps its certificate; a key that does not match, or
// one others may read, is refused with one line and the certificate before stays in use.
TEST(ProxyTlsReload, RenewedFilesServeNewHandshakesABadOneKeepsTheOld) {
  ConfigStore store;
  StatsRegistry registry;
  ConfigApplier applier(store, registry);
  const auto first = testing_pki::make_test_cert("old.example", nullptr);
  const PemFiles pem = testing_pki::write_test_pem(first, "reload");
  const auto message = config_message(ProxyConfig{{}, {reload_test_rule(pem)}});
  ASSERT_TRUE(applier.apply(message).ok());
  EXPECT_EQ(served_cn(store), "old.example");
  const auto open_connection_listener = served_listener(store);
  EXPECT_FALSE(applier.reload_changed_tls().has_value()) << "nothing changed on disk";
  auto pushed = applier.apply(message);
  ASSERT_TRUE(pushed.ok());
  EXPECT_EQ(pushed->loaded, 0u) << "a push with unchanged files keeps the loaded contexts";
  EXPECT_EQ(served_listener(store)->default_context(), open_connection_listener->default_context());

  const auto renewed = testing_pki::make_test_cert("new.example", nullptr);
  testing_pki::write_test_pem(renewed, "reload");
  auto report = applier.reload_changed_tls();
  ASSERT_TRUE(report.has_value()) << "the watch saw the new files";
  EXPECT_EQ(report->loaded, 1u);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_EQ(served_cn(store), "new.example");
  EXPECT_EQ(context_cn(open_connection_listener->default_context()), "old.example")
      << "a connection keeps the certificate it started with";

  // A key of another certificate put in place of the right one.
  const PemFiles other = write_test_pem("other.example", 0600);
  std::filesystem::copy_file(other.key, pem.key, std::filesystem::copy_options::overwrite_existing);
  report = applier.reload_tls();
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_NE(report->errors[0].find("does not match the certificate"), std::string::npos);
  EXPECT_NE(report->errors[0].find("the certificate loaded before stays in use"), std::string::npos)
      << report->errors[0];
  EXPECT_EQ(served_cn(store), "new.example");

  // The right key again, but readable by others.
  testing_pki::write_test_pem(renewed, "reload", 0644);
  report = applier.reload_changed_tls();
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_NE(report->errors[0].find("must be readable by its owner only (mode 0644"),
            std::string::npos)
      << report->errors[0];
  EXPECT_EQ(served_cn(store), "new.example");
  chmod(pem.key.c_str(), 0600);
  report = applier.reload_changed_tls();
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(report->errors.empty());
}

TEST(ProxyTls, CertificateExpiryInDays) {
  const auto cert = testing_pki::make_test_cert("soon.example", nullptr, "", 30);
  const PemFiles pem = testing_pki::write_test_pem(cert, "expiry");
  auto ctx = load_server_context(pem.cert, pem.key);
  ASSERT_TRUE(ctx.ok());
  auto days = certificate_days_left(ctx->get());
  ASSERT_TRUE(days.has_value());
  EXPECT_NEAR(*days, 30.0, 0.01);
  ConfigStore store;
  StatsRegistry registry;
  ConfigApplier applier(store, registry);
  ASSERT_TRUE(applier.apply(config_message(ProxyConfig{{}, {reload_test_rule(pem)}})).ok());
  const auto certs = store.current()->certificates();
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].key, "20.20.20.1:443/tcp");
  EXPECT_EQ(certs[0].file, pem.cert);
  EXPECT_NEAR(certs[0].days_left, 30.0, 0.01);
}

}  // namespace
}  // namespace xlb::proxy

#include "tls_test_pki.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>

namespace xlb::testing_pki {
namespace {

void add_test_extension(X509* x, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

TestCert make_test_cert(const std::string& cn, const TestCert* issuer, const std::string& sans,
                        int days, bool ca) {
  static long serial = 1;
  TestCert out;
  out.key.reset(EVP_EC_gen("P-256"), EVP_PKEY_free);
  out.cert.reset(X509_new(), X509_free);
  X509* x = out.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400L * days);
  X509_set_pubkey(x, out.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(signer));
  if (ca) add_test_extension(x, signer, NID_basic_constraints, "critical,CA:TRUE");
  if (!sans.empty()) add_test_extension(x, signer, NID_subject_alt_name, sans);
  X509_sign(x, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

PemFiles write_test_pem(const TestCert& c, const std::string& name, mode_t key_mode) {
  // Named after the test too: tests run in parallel processes and must not share files.
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string base = ::testing::TempDir() + "xlb_tls_" +
                           (test ? std::string(test->test_suite_name()) + "." + test->name() : "") +
                           "_" + name;
  PemFiles pem{base + ".crt", base + ".key"};
  // Replaced, not rewritten in place: a new inode, as renewal tools do (and a fresh mode).
  std::remove(pem.cert.c_str());
  std::remove(pem.key.c_str());
  FILE* f = std::fopen(pem.cert.c_str(), "w");
  PEM_write_X509(f, c.cert.get());
  std::fclose(f);
  f = std::fopen(pem.key.c_str(), "w");
  PEM_write_PrivateKey(f, c.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  chmod(pem.key.c_str(), key_mode);
  return pem;
}

PemFiles write_self_signed_pem(const std::string& cn, mode_t key_mode) {
  return write_test_pem(make_test_cert(cn, nullptr), cn, key_mode);
}

std::string subject_cn(X509* x) {
  char cn[256] = {};
  if (x) X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
  return cn;
}

}  // namespace xlb::testing_pki

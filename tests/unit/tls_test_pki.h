// Certificates for the TLS tests, made with OpenSSL in the test: a CA, leaves it signs (with
// subjectAltNames), self-signed ones, written as PEM files under the test's temporary directory.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace xlb::testing_pki {

struct TestCert {
  std::shared_ptr<EVP_PKEY> key;
  std::shared_ptr<X509> cert;
};

struct PemFiles {
  std::string cert, key;
};

// A P-256 key and a certificate for `cn`, valid `days` from now, with `sans` as its
// subjectAltName ("DNS:www.a.com,IP:127.0.0.1"; empty: none), signed by `issuer` (nullptr:
// self-signed). `ca`: basicConstraints CA:TRUE.
TestCert make_test_cert(const std::string& cn, const TestCert* issuer, const std::string& sans = "",
                        int days = 1, bool ca = false);

// The certificate (and key, with `key_mode`) as PEM files named after `name`.
PemFiles write_test_pem(const TestCert& c, const std::string& name, mode_t key_mode = 0600);

// A self-signed certificate for `cn` written at once: the common case.
PemFiles write_self_signed_pem(const std::string& cn, mode_t key_mode = 0600);

// The subject CN of a certificate.
std::string subject_cn(X509* x);

}  // namespace xlb::testing_pki

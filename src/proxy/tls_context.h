// TLS of fullproxy rules: the server contexts toward clients (--security=https and e2ehttps: one
// per rule, its certificate and key, TLS 1.2 at least) and the listener's choice among them by
// SNI; the client contexts toward endpoints (e2ehttps: verified against a CA file or the system
// store, by the rule's backend name or the endpoint's IP); the checks xlbd makes before it
// accepts a rule's files; what /metrics says of handshakes and certificates.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "model/service.h"

namespace xlb::proxy {

// Shared: a context stays alive while a connection or a later configuration (a reload that
// kept it) still uses it.
using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// A server context from a PEM certificate chain and a PEM key: both must load and match. The
// key file must be a regular file its owner alone may read or write (mode 0600 or 0400).
// Errors name `prefix` + tls_cert / tls_key.
Result<SslCtxPtr> load_server_context(const std::string& cert_file, const std::string& key_file,
                                      const std::string& prefix = "");

// The context an e2ehttps rule connects to its endpoints with: TLS 1.2 at least, the peer
// verified against backend_ca (a PEM file of CA certificates) or the system's trust store,
// unless insecure_backend. Errors name `prefix` + backend_ca.
Result<SslCtxPtr> load_backend_context(const model::Service& svc, const std::string& prefix = "");

// A connection to `endpoint_ip` under `ctx` (connect state): SNI and the name checked are the
// rule's backend_name, else the certificate must carry the endpoint's IP (a subjectAltName).
SSL* open_backend_session(SSL_CTX* ctx, int fd, const model::Service& svc,
                          const std::string& endpoint_ip);

// xlbd's check of a rule before a change takes it: nothing for rules without TLS.
Result<void> check_rule_tls_files(const model::Service& svc, const std::string& prefix);

// Days from now to the notAfter of the context's certificate (negative once expired).
std::optional<double> certificate_days_left(SSL_CTX* ctx);

// Why a handshake failed, as a metric label: OpenSSL's reason ("no_shared_cipher",
// "unsupported_protocol", a verification error such as "hostname_mismatch"), or
// "connection_closed" when the peer went away without one. Empties OpenSSL's error queue.
std::string tls_failure_reason(SSL* ssl);

// The contexts of one VIP:port's TLS rules. A handshake starts with the default (the rule
// without --host, else the first host's) and switches to the host's context when the client's
// SNI names one (case-insensitively); an unknown or absent name keeps the default.
class TlsListener {
 public:
  void add(const std::string& host, SslCtxPtr ctx);
  SSL_CTX* default_context() const { return default_; }
  SSL_CTX* context_for(const std::string& server_name) const;
  // A server session on `fd` (accept state) that chooses by SNI among these contexts. The
  // caller keeps this listener alive as long as the session (the SNI callback uses it).
  SSL* accept_session(int fd) const;

 private:
  std::map<std::string, SslCtxPtr> by_host_;  // "" = the default rule
  SSL_CTX* default_ = nullptr;
};

}  // namespace xlb::proxy

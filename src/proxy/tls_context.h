// TLS toward the client for fullproxy rules with --security=https: the server contexts (one per
// rule: its certificate and key, TLS 1.2 at least), the listener's choice among them by SNI, and
// the checks xlbd makes before it accepts a rule's files.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>

#include "common/result.h"
#include "model/service.h"

namespace xlb::proxy {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// A server context from a PEM certificate chain and a PEM key: both must load and match. The
// key file must be a regular file its owner alone may read or write (mode 0600 or 0400).
// Errors name `prefix` + tls_cert / tls_key.
Result<SslCtxPtr> load_server_context(const std::string& cert_file, const std::string& key_file,
                                      const std::string& prefix = "");

// xlbd's check of a rule before a change takes it: nothing for rules without TLS.
Result<void> check_rule_tls_files(const model::Service& svc, const std::string& prefix);

// The contexts of one VIP:port's https rules. A handshake starts with the default (the rule
// without --host, else the first host's) and switches to the host's context when the client's
// SNI names one (case-insensitively); an unknown or absent name keeps the default.
class TlsListener {
 public:
  void add(const std::string& host, SslCtxPtr ctx);
  SSL_CTX* default_context() const { return default_; }
  SSL_CTX* context_for(const std::string& server_name) const;

 private:
  std::map<std::string, SslCtxPtr> by_host_;  // "" = the default rule
  SSL_CTX* default_ = nullptr;
};

}  // namespace xlb::proxy

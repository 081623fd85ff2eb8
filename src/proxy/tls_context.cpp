#include "proxy/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>

namespace xlb::proxy {
namespace {

// OpenSSL's last error as text (its queue emptied), or `fallback`.
std::string tls_error_text(const char* fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Result<void> check_tls_key_mode(const std::string& path, const std::string& field) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return invalid(field, field + " " + path + " cannot be read (no such file or no access)");
  if (!S_ISREG(st.st_mode)) return invalid(field, field + " " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return invalid(field, field + " " + path + " must be readable by its owner only (mode " + mode +
                              "; chmod 600 it)");
  }
  return Ok{};
}

// The SNI callback. The listener comes from the session (its app data), not from the context:
// a context kept across a reload may serve several listeners' sessions at once.
int select_by_server_name(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const auto* listener = static_cast<const TlsListener*>(SSL_get_app_data(ssl));
  if (!name || !listener) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* ctx = listener->context_for(name);
  if (ctx && ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

SslCtxPtr new_tls_context(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method), SSL_CTX_free);
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  // The proxy writes from a buffer that moves as it drains (std::string::erase).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

// "Certificate verify failed" -> "certificate_verify_failed": a stable label value.
std::string tls_label_text(const char* text) {
  std::string out;
  for (const char* c = text; *c; ++c) {
    const auto ch = static_cast<unsigned char>(*c);
    out += std::isalnum(ch) ? static_cast<char>(std::tolower(ch)) : '_';
  }
  return out;
}

}  // namespace

Result<SslCtxPtr> load_server_context(const std::string& cert_file, const std::string& key_file,
                                      const std::string& prefix) {
  const std::string cert_field = prefix + "tls_cert", key_field = prefix + "tls_key";
  XLB_TRY(check_tls_key_mode(key_file, key_field));
  SslCtxPtr ctx = new_tls_context(TLS_server_method());
  if (!ctx) return invalid(cert_field, "cannot create a TLS context: " + tls_error_text("?"));
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_tlsext_servername_callback(ctx.get(), select_by_server_name);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return invalid(cert_field, cert_field + " " + cert_file +
                                   " is not a readable PEM certificate (" +
                                   tls_error_text("unreadable") + ")");
  }
  const bool key_used =
      SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  // OpenSSL checks the key against the certificate as it loads it: say which failure it was.
  if (!key_used && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
    return invalid(key_field, key_field + " " + key_file + " is not a readable PEM private key (" +
                                  tls_error_text("unreadable") + ")");
  }
  if (!key_used || SSL_CTX_check_private_key(ctx.get()) != 1) {
    ERR_clear_error();
    return invalid(key_field,
                   key_field + " " + key_file + " does not match the certificate " + cert_file);
  }
  return ctx;
}

Result<SslCtxPtr> load_backend_context(const model::Service& svc, const std::string& prefix) {
  const std::string field = prefix + "backend_ca";
  SslCtxPtr ctx = new_tls_context(TLS_client_method());
  if (!ctx) return invalid(field, "cannot create a TLS context: " + tls_error_text("?"));
  if (svc.insecure_backend) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (svc.backend_ca.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1)
      return invalid(field, "cannot load the system's trust store: " + tls_error_text("?"));
    return ctx;
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), svc.backend_ca.c_str(), nullptr) != 1) {
    return invalid(field, field + " " + svc.backend_ca +
                              " is not a readable PEM file of CA certificates (" +
                              tls_error_text("unreadable") + ")");
  }
  return ctx;
}

SSL* open_backend_session(SSL_CTX* ctx, int fd, const model::Service& svc,
                          const std::string& endpoint_ip) {
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_connect_state(ssl);
  if (!svc.backend_name.empty()) {
    SSL_set_tlsext_host_name(ssl, svc.backend_name.c_str());
    if (!svc.insecure_backend) SSL_set1_host(ssl, svc.backend_name.c_str());
  } else if (!svc.insecure_backend) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), endpoint_ip.c_str());
  }
  return ssl;
}

Result<void> check_rule_tls_files(const model::Service& svc, const std::string& prefix) {
  if (!model::is_l7(svc) || svc.security == model::Security::none) return Ok{};
  auto ctx = load_server_context(svc.tls_cert, svc.tls_key, prefix);
  if (!ctx) return ctx.error();
  if (svc.security != model::Security::e2ehttps) return Ok{};
  auto backend = load_backend_context(svc, prefix);
  if (!backend) return backend.error();
  return Ok{};
}

std::optional<double> certificate_days_left(SSL_CTX* ctx) {
  X509* x = ctx ? SSL_CTX_get0_certificate(ctx) : nullptr;
  int days = 0, seconds = 0;
  if (!x || ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(x)) != 1)
    return std::nullopt;
  return days + seconds / 86400.0;
}

std::string tls_failure_reason(SSL* ssl) {
  const long verify = SSL_get_verify_result(ssl);
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  // A refused certificate: the verifier's own reason says more than "certificate verify failed".
  if (verify != X509_V_OK) return tls_label_text(X509_verify_cert_error_string(verify));
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  return reason ? tls_label_text(reason) : "connection_closed";
}

void TlsListener::add(const std::string& host, SslCtxPtr ctx) {
  SSL_CTX* raw = ctx.get();
  by_host_[host] = std::move(ctx);
  if (host.empty() || !default_) default_ = raw;
}

SSL* TlsListener::accept_session(int fd) const {
  if (!default_) return nullptr;
  SSL* ssl = SSL_new(default_);
  if (!ssl) return nullptr;
  SSL_set_app_data(ssl, const_cast<TlsListener*>(this));
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

SSL_CTX* TlsListener::context_for(const std::string& server_name) const {
  auto it = by_host_.find(model::normalize_host(server_name));
  return it == by_host_.end() ? nullptr : it->second.get();
}

}  // namespace xlb::proxy

#include "proxy/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>

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

// The SNI callback: `arg` is the TlsListener of the context the handshake started with.
int select_by_server_name(SSL* ssl, int* /*alert*/, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* ctx = static_cast<const TlsListener*>(arg)->context_for(name);
  if (ctx && ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<SslCtxPtr> load_server_context(const std::string& cert_file, const std::string& key_file,
                                      const std::string& prefix) {
  const std::string cert_field = prefix + "tls_cert", key_field = prefix + "tls_key";
  XLB_TRY(check_tls_key_mode(key_file, key_field));
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return invalid(cert_field, "cannot create a TLS context: " + tls_error_text("?"));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The proxy writes from a buffer that moves as it drains (std::string::erase).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
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

Result<void> check_rule_tls_files(const model::Service& svc, const std::string& prefix) {
  if (!model::is_l7(svc) || svc.security == model::Security::none) return Ok{};
  auto ctx = load_server_context(svc.tls_cert, svc.tls_key, prefix);
  if (!ctx) return ctx.error();
  return Ok{};
}

void TlsListener::add(const std::string& host, SslCtxPtr ctx) {
  SSL_CTX_set_tlsext_servername_callback(ctx.get(), select_by_server_name);
  SSL_CTX_set_tlsext_servername_arg(ctx.get(), this);
  SSL_CTX* raw = ctx.get();
  by_host_[host] = std::move(ctx);
  if (host.empty() || !default_) default_ = raw;
}

SSL_CTX* TlsListener::context_for(const std::string& server_name) const {
  auto it = by_host_.find(model::normalize_host(server_name));
  return it == by_host_.end() ? nullptr : it->second.get();
}

}  // namespace xlb::proxy

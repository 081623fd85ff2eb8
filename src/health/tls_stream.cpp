#include "health/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>

#include "health/probe_result.h"

namespace xlb::health {
namespace {

bool is_ip_literal(const std::string& name) {
  in_addr a;
  in6_addr a6;
  return ::inet_pton(AF_INET, name.c_str(), &a) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), &a6) == 1;
}

std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  const char* reason = e ? ERR_reason_error_string(e) : nullptr;
  return reason ? reason : "unknown error";
}

// SSL_get_error() reads the thread's OpenSSL error queue and errno: start both clean.
void clear_errors() {
  ERR_clear_error();
  errno = 0;
}

class TlsStream final : public ByteStream {
 public:
  explicit TlsStream(SSL* ssl) : ssl_(ssl) {}
  ~TlsStream() override { SSL_free(ssl_); }

  IoResult handshake() override {
    clear_errors();
    int rc = SSL_connect(ssl_);
    if (rc == 1) return {};
    IoResult r = progress_or_error(rc, "tls handshake");
    if (r.status == IoStatus::failed && SSL_get_verify_result(ssl_) != X509_V_OK) {
      r.error = std::string("certificate verify failed (") +
                X509_verify_cert_error_string(SSL_get_verify_result(ssl_)) + ")";
    }
    return r;
  }

  IoResult write(std::string_view data) override {
    clear_errors();
    int rc = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    if (rc > 0) return IoResult{IoStatus::done, static_cast<size_t>(rc), {}};
    return progress_or_error(rc, "tls write");
  }

  IoResult read(std::span<char> buf) override {
    clear_errors();
    int rc = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (rc > 0) return IoResult{IoStatus::done, static_cast<size_t>(rc), {}};
    return progress_or_error(rc, "tls read");
  }

 private:
  IoResult progress_or_error(int rc, const char* what) {
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        return IoResult{IoStatus::want_read, 0, {}};
      case SSL_ERROR_WANT_WRITE:
        return IoResult{IoStatus::want_write, 0, {}};
      case SSL_ERROR_ZERO_RETURN:
        return IoResult{IoStatus::closed, 0, {}};
      case SSL_ERROR_SYSCALL:
        if (errno != 0) return IoResult{IoStatus::failed, 0, errno_words(errno)};
        return IoResult{IoStatus::closed, 0, {}};
      default:
        return IoResult{IoStatus::failed, 0, std::string(what) + " failed: " + openssl_reason()};
    }
  }

  SSL* ssl_;
};

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::create(bool verify) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Error{ErrorCode::system, "cannot create a TLS context: " + openssl_reason(), ""};
  // Servers often close without close_notify; after our complete request that is a normal end.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      SSL_CTX_free(ctx);
      return Error{ErrorCode::system, "cannot load the system CA store: " + openssl_reason(), ""};
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsContext>(new TlsContext(ctx, verify));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::unique_ptr<ByteStream>> tls_stream(TlsContext& ctx, int fd, const std::string& name) {
  SSL* ssl = SSL_new(ctx.get());
  if (!ssl) return Error{ErrorCode::system, "cannot create a TLS session: " + openssl_reason(), ""};
  auto stream = std::make_unique<TlsStream>(ssl);  // frees ssl on every path below
  bool ip = is_ip_literal(name);
  bool ok = SSL_set_fd(ssl, fd) == 1;
  if (ok && !ip) ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;  // no SNI for addresses
  if (ok && ctx.verify()) {
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
            : SSL_set1_host(ssl, name.c_str()) == 1;
  }
  if (!ok)
    return Error{ErrorCode::system, "cannot set up the TLS session: " + openssl_reason(), ""};
  SSL_set_connect_state(ssl);
  return std::unique_ptr<ByteStream>(std::move(stream));
}

}  // namespace xlb::health

#include "cluster/psk_tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace xlb::cluster {
namespace {

// The identity both ends use; the key, not the name, authenticates.
constexpr char kPskIdentity[] = "xlb-cluster";
// SHA-256 suites only: the session the PSK becomes is bound to its hash.
constexpr char kPskCipherSuites[] = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
constexpr unsigned char kTls13Aes128GcmSha256[] = {0x13, 0x01};

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "no detail" : out;
}

const ClusterTls* tls_of(SSL* ssl) {
  return static_cast<const ClusterTls*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

// A resumption-style session holding the PSK: what TLS 1.3 external PSKs are in OpenSSL.
SSL_SESSION* psk_session(SSL* ssl) {
  const ClusterTls* tls = tls_of(ssl);
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kTls13Aes128GcmSha256);
  SSL_SESSION* session = SSL_SESSION_new();
  if (!tls || !cipher || !session ||
      !SSL_SESSION_set1_master_key(session, tls->psk().data(), tls->psk().size()) ||
      !SSL_SESSION_set_cipher(session, cipher) ||
      !SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION)) {
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

int use_psk_session(SSL* ssl, const EVP_MD*, const unsigned char** id, size_t* idlen,
                    SSL_SESSION** sess) {
  *sess = psk_session(ssl);
  if (!*sess) return 0;
  *id = reinterpret_cast<const unsigned char*>(kPskIdentity);
  *idlen = sizeof(kPskIdentity) - 1;
  return 1;
}

int find_psk_session(SSL* ssl, const unsigned char* id, size_t idlen, SSL_SESSION** sess) {
  *sess = nullptr;  // an unknown identity: no PSK, and with no certificate the handshake fails
  if (idlen != sizeof(kPskIdentity) - 1 || std::memcmp(id, kPskIdentity, idlen) != 0) return 1;
  *sess = psk_session(ssl);
  return *sess ? 1 : 0;
}

SSL_CTX* psk_context(const ClusterTls* owner, bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) return nullptr;
  SSL_CTX_set_app_data(ctx, const_cast<ClusterTls*>(owner));
  const bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) &&
                  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) &&
                  SSL_CTX_set_ciphersuites(ctx, kPskCipherSuites);
  if (!ok) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  // A peer that stops closes without close_notify: that is "closed", not a TLS error (frames
  // carry their own lengths, so a cut stream cannot pass for a whole one).
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_max_early_data(ctx, 0);
  SSL_CTX_set_num_tickets(ctx, 0);  // no resumption: every connection proves the key again
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (server) {
    SSL_CTX_set_psk_find_session_callback(ctx, find_psk_session);
  } else {
    SSL_CTX_set_psk_use_session_callback(ctx, use_psk_session);
    // No trust anchors: a server that ignores the PSK and shows a certificate is refused.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

int timeout_ms(std::chrono::milliseconds t) { return static_cast<int>(t.count()); }

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<time_t>(t.count() / 1000),
                 static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

}  // namespace

std::array<uint8_t, kPskBytes> cluster_psk(std::string_view key_text) {
  static constexpr std::string_view kLabel = "xlb cluster psk v1";
  std::array<uint8_t, kPskBytes> out{};
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  unsigned int len = 0;
  const uint8_t separator = 0;
  if (md && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) &&
      EVP_DigestUpdate(md, kLabel.data(), kLabel.size()) && EVP_DigestUpdate(md, &separator, 1) &&
      EVP_DigestUpdate(md, key_text.data(), key_text.size())) {
    EVP_DigestFinal_ex(md, out.data(), &len);
  }
  EVP_MD_CTX_free(md);
  return out;
}

Result<std::unique_ptr<ClusterTls>> ClusterTls::create(std::string_view key_text) {
  std::unique_ptr<ClusterTls> tls(new ClusterTls());
  tls->psk_ = cluster_psk(key_text);
  tls->client_ = psk_context(tls.get(), false);
  tls->server_ = psk_context(tls.get(), true);
  if (!tls->client_ || !tls->server_) {
    return Error{ErrorCode::startup,
                 "cannot set up TLS 1.3 with a pre-shared key for the cluster port (" +
                     openssl_errors() + "): xlbd needs OpenSSL 3 with TLS 1.3",
                 "cluster-key-file"};
  }
  return tls;
}

ClusterTls::~ClusterTls() {
  SSL_CTX_free(client_);
  SSL_CTX_free(server_);
  OPENSSL_cleanse(psk_.data(), psk_.size());
}

void set_socket_timeouts(int fd, std::chrono::milliseconds read, std::chrono::milliseconds write) {
  const timeval r = to_timeval(read), w = to_timeval(write);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof r);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &w, sizeof w);
}

Result<std::unique_ptr<TlsConn>> TlsConn::handshake(const ClusterTls& tls, Role role, int fd,
                                                    std::chrono::milliseconds timeout) {
  ERR_clear_error();
  set_socket_timeouts(fd, timeout, timeout);
  SSL* ssl = SSL_new(role == Role::server ? tls.server() : tls.client());
  if (!ssl || !SSL_set_fd(ssl, fd)) {
    SSL_free(ssl);
    return Error{ErrorCode::internal, "cannot start TLS: " + openssl_errors(), ""};
  }
  const int rc = role == Role::server ? SSL_accept(ssl) : SSL_connect(ssl);
  if (rc != 1) {
    const int err = SSL_get_error(ssl, rc);
    const int saved_errno = errno;
    std::string why;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      why = "no handshake within " + std::to_string(timeout_ms(timeout)) + " ms";
    } else if (err == SSL_ERROR_SYSCALL) {
      why = saved_errno ? std::strerror(saved_errno) : "the peer closed the connection";
    } else {
      why = "TLS-PSK handshake failed (" + openssl_errors() +
            "): is --cluster-key-file the same on both nodes?";
    }
    SSL_free(ssl);
    return Error{ErrorCode::unauthenticated, why, ""};
  }
  // A PSK handshake is the only kind these contexts allow; say so rather than assume it.
  if (!SSL_session_reused(ssl)) {
    SSL_free(ssl);
    return Error{ErrorCode::unauthenticated, "the TLS handshake did not use the cluster key", ""};
  }
  return std::unique_ptr<TlsConn>(new TlsConn(ssl, fd));
}

TlsConn::~TlsConn() {
  SSL_free(ssl_);  // no close_notify: the socket may be dead, and nothing waits for it
  ::close(fd_);
}

void TlsConn::set_read_timeout(std::chrono::milliseconds timeout) {
  const timeval r = to_timeval(timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof r);
}

void TlsConn::interrupt() { ::shutdown(fd_, SHUT_RDWR); }

Result<void> TlsConn::write_all(std::span<const uint8_t> bytes) {
  ERR_clear_error();
  size_t written = 0;
  while (written < bytes.size()) {
    size_t n = 0;
    if (SSL_write_ex(ssl_, bytes.data() + written, bytes.size() - written, &n) != 1) {
      const int err = SSL_get_error(ssl_, 0);
      return Error{ErrorCode::io,
                   err == SSL_ERROR_WANT_WRITE
                       ? "the peer stopped reading (send timed out)"
                       : "send failed: " + std::string(std::strerror(errno)),
                   ""};
    }
    written += n;
  }
  return Ok{};
}

Result<size_t> TlsConn::read_some(std::span<uint8_t> buffer) {
  ERR_clear_error();
  size_t n = 0;
  if (SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n) == 1) return n;
  switch (SSL_get_error(ssl_, 0)) {
    case SSL_ERROR_ZERO_RETURN:
      return size_t{0};
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Error{ErrorCode::unavailable, "nothing received within the read timeout", ""};
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return size_t{0};  // closed without close_notify
      return Error{ErrorCode::io, "receive failed: " + std::string(std::strerror(errno)), ""};
    default:
      return Error{ErrorCode::io, "TLS record refused: " + openssl_errors(), ""};
  }
}

}  // namespace xlb::cluster

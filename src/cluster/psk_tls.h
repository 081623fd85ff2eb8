// The peer channel's security: TLS 1.3 with an external pre-shared key (RFC 8446 psk_dhe_ke),
// derived from the shared --cluster-key-file. Both ends prove they hold the key (the server
// checks the client's PSK binder, each side checks the other's Finished), the session keys
// come from a fresh (EC)DHE exchange (forward secrecy), and TLS refuses replayed or altered
// records; no 0-RTT data is accepted. No certificates: a peer without the key, with another
// key, or not speaking TLS fails the handshake.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/result.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace xlb::cluster {

inline constexpr size_t kPskBytes = 32;
// The PSK both ends derive from the key file's text (SHA-256 under a label of its own, so the
// file's text itself never keys anything).
std::array<uint8_t, kPskBytes> cluster_psk(std::string_view key_text);

class ClusterTls {
 public:
  static Result<std::unique_ptr<ClusterTls>> create(std::string_view key_text);
  ~ClusterTls();
  ClusterTls(const ClusterTls&) = delete;
  ClusterTls& operator=(const ClusterTls&) = delete;

  SSL_CTX* client() const { return client_; }
  SSL_CTX* server() const { return server_; }
  const std::array<uint8_t, kPskBytes>& psk() const { return psk_; }

 private:
  ClusterTls() = default;
  SSL_CTX* client_ = nullptr;
  SSL_CTX* server_ = nullptr;
  std::array<uint8_t, kPskBytes> psk_{};
};

// One authenticated connection over a connected, blocking socket it owns. Reads and writes
// time out with the socket's SO_RCVTIMEO / SO_SNDTIMEO; interrupt() (from any thread) makes a
// blocked call return at once.
class TlsConn {
 public:
  enum class Role { client, server };
  // Runs the handshake within `timeout`; on success the connection owns the socket. On failure
  // the caller still owns (and closes) it, and the error (code unauthenticated) says whether
  // the peer proved no key or the transport failed.
  static Result<std::unique_ptr<TlsConn>> handshake(const ClusterTls& tls, Role role, int fd,
                                                    std::chrono::milliseconds timeout);
  ~TlsConn();
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  Result<void> write_all(std::span<const uint8_t> bytes);
  // Bytes read (> 0); 0 when the peer closed. Errors: unavailable (nothing within the read
  // timeout), io (the connection failed).
  Result<size_t> read_some(std::span<uint8_t> buffer);
  // Sets the read timeout of the calls that follow.
  void set_read_timeout(std::chrono::milliseconds timeout);
  // Shuts the socket down so a call blocked in another thread returns; thread-safe.
  void interrupt();
  int fd() const { return fd_; }

 private:
  TlsConn(SSL* ssl, int fd) : ssl_(ssl), fd_(fd) {}
  SSL* ssl_;
  int fd_;
};

// SO_RCVTIMEO and SO_SNDTIMEO of a socket.
void set_socket_timeouts(int fd, std::chrono::milliseconds read, std::chrono::milliseconds write);

}  // namespace xlb::cluster

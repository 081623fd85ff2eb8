// TLS for https probes: a client context per verify mode and a non-blocking OpenSSL stream.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "health/byte_stream.h"

using SSL_CTX = struct ssl_ctx_st;

namespace xlb::health {

class TlsContext {
 public:
  // verify: check the chain against the system CA store and the name given to tls_stream().
  static Result<std::unique_ptr<TlsContext>> create(bool verify);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  TlsContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}
  SSL_CTX* ctx_;
  bool verify_;
};

// A client TLS stream over the connected (or connecting) socket `fd`, which the caller keeps
// owning. `name`: a host name (sent as SNI and verified) or an IP address (verified against the
// certificate's IP addresses).
Result<std::unique_ptr<ByteStream>> tls_stream(TlsContext& ctx, int fd, const std::string& name);

}  // namespace xlb::health

// Proxy Protocol v2 in front of a client's first request, accepted only from --xff-trusted
// peers (a load balancer in front of xlb): its source address becomes the client's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace xlb::proxy {

struct Ppv2Header {
  enum class Status {
    need_more,  // a prefix of the signature or of the header: read more
    absent,     // the stream does not start with the PPv2 signature
    invalid,    // the signature, then something PPv2 does not allow (or too long)
    ok,
  };
  Status status = Status::absent;
  size_t length = 0;   // bytes of the header (ok)
  std::string source;  // the client's address for PROXY over TCP/IPv4 or IPv6; empty for LOCAL
};

inline constexpr size_t kMaxPpv2Bytes = 16 + 512;  // header and TLVs the proxy reads at most

Ppv2Header parse_ppv2(std::string_view in);

}  // namespace xlb::proxy

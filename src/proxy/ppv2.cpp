#include "proxy/ppv2.h"

#include <arpa/inet.h>

#include <cstring>

namespace xlb::proxy {
namespace {

constexpr char kPpv2Signature[12] = {'\r', '\n', '\r', '\n', '\0', '\r',
                                     '\n', 'Q',  'U',  'I',  'T',  '\n'};

}  // namespace

Ppv2Header parse_ppv2(std::string_view in) {
  Ppv2Header h;
  const size_t sig = std::min(in.size(), sizeof kPpv2Signature);
  if (std::memcmp(in.data(), kPpv2Signature, sig) != 0) return h;  // absent
  if (in.size() < 16) {
    h.status = Ppv2Header::Status::need_more;
    return h;
  }
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned version = b[12] >> 4, command = b[12] & 0xf;
  const unsigned family = b[13];
  const size_t length = (size_t{b[14]} << 8) | b[15];
  h.status = Ppv2Header::Status::invalid;
  if (version != 2 || command > 1 || 16 + length > kMaxPpv2Bytes) return h;
  if (in.size() < 16 + length) {
    h.status = Ppv2Header::Status::need_more;
    return h;
  }
  h.length = 16 + length;
  if (command == 0) {  // LOCAL: the sender's own connection (a health check); keep the peer
    h.status = Ppv2Header::Status::ok;
    return h;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 0x11 && length >= 12) {  // TCP over IPv4
    inet_ntop(AF_INET, b + 16, text, sizeof text);
  } else if (family == 0x21 && length >= 36) {  // TCP over IPv6
    inet_ntop(AF_INET6, b + 16, text, sizeof text);
  } else {
    return h;  // UDP, unix sockets, UNSPEC with PROXY: nothing to forward for
  }
  h.source = text;
  h.status = Ppv2Header::Status::ok;
  return h;
}

}  // namespace xlb::proxy

// The big-endian primitives of the peer channel's wire format (wire.h), shared by its message
// codecs: appending integers to a payload, and a cursor that reads one with every read
// bounds-checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace xlb::cluster::wire {

// Every decoding error: the peer is disconnected, nothing of the read is applied.
inline Error wire_malformed(const std::string& what) {
  return Error{ErrorCode::invalid_argument, "malformed cluster frame: " + what, ""};
}

inline void put_u8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }

inline void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

inline void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

inline uint32_t get_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Reads a payload front to back; a read past its end fails and moves nothing.
class PayloadCursor {
 public:
  explicit PayloadCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = bytes_[at_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<uint16_t>((bytes_[at_] << 8) | bytes_[at_ + 1]);
    at_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (left() < 4) return false;
    v = get_u32(bytes_.data() + at_);
    at_ += 4;
    return true;
  }
  bool text(size_t n, std::string& v) {
    if (left() < n) return false;
    v.assign(reinterpret_cast<const char*>(bytes_.data() + at_), n);
    at_ += n;
    return true;
  }
  size_t left() const { return bytes_.size() - at_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

}  // namespace xlb::cluster::wire

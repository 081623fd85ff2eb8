// xlb-proxy's limits: every buffer and wait of a connection is bounded by one of these. xlbd
// passes them (its --l7-* flags) with the rules; the defaults are documented in docs/l7.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/result.h"

namespace xlb::proxy {

struct Limits {
  uint32_t max_header_bytes = 16384;      // request or response head, trailers too (431 / 502)
  uint32_t max_headers = 100;             // header fields of a head (431 / 502)
  uint32_t max_request_line = 8192;       // request line (414); a status line likewise (502)
  uint32_t max_chunk_ext_bytes = 256;     // chunk extensions of one chunk (400 / 502)
  uint32_t header_timeout_ms = 10000;     // first byte of a request to its end of head (408)
  uint32_t keepalive_timeout_ms = 30000;  // idle client connection between requests (closed)
  uint32_t body_idle_timeout_ms = 30000;  // no body byte from the client (408) or backend
  uint32_t connect_timeout_ms = 3000;     // backend connect (502)
  uint32_t response_timeout_ms = 30000;   // request sent to the first byte of the head (504)
  uint32_t max_connections = 10000;       // client connections per process; more wait in accept
  uint32_t pool_idle_timeout_ms = 15000;  // an idle pooled backend connection is closed
  uint32_t pool_max_idle = 64;            // idle backend connections per endpoint and worker

  bool operator==(const Limits&) const = default;
};

// Each limit's bounds (so a bad flag is one sentence) and the JSON of the control channel.
Result<void> validate(const Limits& limits);
nlohmann::json to_json(const Limits& limits);
// Absent fields keep their defaults; unknown fields and values out of bounds are refused.
Result<Limits> limits_from_json(const nlohmann::json& j);

// The socket buffer size each direction of a connection may hold in user space before the
// proxy stops reading from the other side: the bounded memory per connection.
inline constexpr size_t kStreamBufferBytes = 64 * 1024;

}  // namespace xlb::proxy

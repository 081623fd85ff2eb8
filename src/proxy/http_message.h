// An HTTP/1.x message head as xlb-proxy's parser delivers it (request or response).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xlb::proxy {

struct Header {
  std::string name;  // as sent (case kept)
  std::string value;
};

// How the body of a message is delimited on the wire.
enum class Framing { none, length, chunked, until_close };

struct MessageHead {
  std::string method;  // requests
  std::string target;  // requests: the request-target as sent
  int status = 0;      // responses
  std::string reason;  // responses
  uint8_t major = 1, minor = 1;
  std::vector<Header> headers;
  Framing framing = Framing::none;
  uint64_t content_length = 0;  // Framing::length
  bool keep_alive = true;       // the connection may carry another message after this one

  // Values of every header called `name` (case-insensitive), in order.
  std::vector<std::string_view> all(std::string_view name) const;
  // The single value of `name`, or nullopt (absent or repeated: see count).
  std::optional<std::string_view> one(std::string_view name) const;
  size_t count(std::string_view name) const;
};

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b);
// `text` without leading and trailing spaces and tabs (HTTP's OWS).
std::string_view trim_ows(std::string_view text);

// What the proxy answers for a message it cannot forward: a status and a short reason for the
// log and the body. Requests get 4xx (or 5xx for what the backend did), then the connection
// closes.
struct HttpFault {
  int status = 400;
  std::string reason;
};

}  // namespace xlb::proxy

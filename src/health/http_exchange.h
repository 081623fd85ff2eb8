// The HTTP side of an http(s) probe: the request it sends and the check of the reply (pure).
// Only the status line is parsed; everything after the header block is searched as raw body
// bytes. That is enough for a client reading the answer to its own GET, and it stays bounded.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "health/probe_result.h"
#include "health/probe_spec.h"

namespace xlb::health {

// "GET <path> HTTP/1.1\r\nHost: <host>\r\nConnection: close\r\n\r\n"
std::string http_request(std::string_view path, std::string_view host);

// "HTTP/1.1 200 OK" -> 200; nothing if the line is not an HTTP status line.
std::optional<int> parse_status_line(std::string_view line);

// Decides a probe from the reply as it arrives: the status first, then (if a body substring is
// expected) the body, reading at most kMaxResponse bytes.
class HttpResponseCheck {
 public:
  static constexpr size_t kMaxResponse = 64 * 1024;

  HttpResponseCheck(StatusRange expect_status, std::string expect_body);

  // Adds received bytes; returns the result once it is decided.
  std::optional<ProbeResult> feed(std::string_view bytes);
  // The server closed the connection before feed() decided: decide with what arrived.
  ProbeResult at_eof() const;
  // How many more bytes feed() will look at.
  size_t room() const { return kMaxResponse - received_.size(); }

 private:
  std::optional<ProbeResult> check_status();
  std::optional<ProbeResult> check_body(size_t searched_from);

  StatusRange expect_status_;
  std::string expect_body_;
  std::string received_;
  std::optional<int> status_;
  std::optional<size_t> body_start_;
};

}  // namespace xlb::health

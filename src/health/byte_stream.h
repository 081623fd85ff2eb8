// A non-blocking byte stream over a connected TCP socket: plain for http, TLS for https. Each
// call either makes progress or says which readiness it waits for.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace xlb::health {

enum class IoStatus { done, want_read, want_write, closed, failed };

struct IoResult {
  IoStatus status = IoStatus::done;
  size_t bytes = 0;   // moved by a done read or write
  std::string error;  // words, when failed
};

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual IoResult handshake() = 0;
  virtual IoResult write(std::string_view data) = 0;
  virtual IoResult read(std::span<char> buf) = 0;  // closed at end of stream
};

// Plain TCP; the caller keeps owning `fd`.
std::unique_ptr<ByteStream> plain_stream(int fd);

}  // namespace xlb::health

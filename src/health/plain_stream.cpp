#include <sys/socket.h>

#include <cerrno>

#include "health/byte_stream.h"
#include "health/probe_result.h"

namespace xlb::health {
namespace {

IoResult from_syscall(ssize_t n, IoStatus would_block) {
  if (n > 0) return IoResult{IoStatus::done, static_cast<size_t>(n), {}};
  if (n == 0) return IoResult{IoStatus::closed, 0, {}};
  if (errno == EAGAIN || errno == EINTR) return IoResult{would_block, 0, {}};
  return IoResult{IoStatus::failed, 0, errno_words(errno)};
}

class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}

  IoResult handshake() override { return {}; }
  IoResult write(std::string_view data) override {
    // MSG_NOSIGNAL: a backend that reset the connection must not SIGPIPE the daemon.
    return from_syscall(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL), IoStatus::want_write);
  }
  IoResult read(std::span<char> buf) override {
    return from_syscall(::recv(fd_, buf.data(), buf.size(), 0), IoStatus::want_read);
  }

 private:
  int fd_;
};

}  // namespace

std::unique_ptr<ByteStream> plain_stream(int fd) { return std::make_unique<PlainStream>(fd); }

}  // namespace xlb::health

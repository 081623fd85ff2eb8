// http and https: connect, (TLS handshake,) send one GET, and judge the reply's status line and,
// if asked, its body (see http_exchange.h). One state machine for both; only the stream differs.
#include <sys/socket.h>

#include <array>

#include "common/ip.h"
#include "health/byte_stream.h"
#include "health/http_exchange.h"
#include "health/probe.h"
#include "health/socket_util.h"
#include "health/tls_stream.h"

namespace xlb::health {
namespace {

class HttpProbe final : public Probe {
 public:
  HttpProbe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done)
      : Probe(std::move(done)),
        env_(env),
        spec_(spec),
        request_(http_request(http_path(spec),
                              spec.host.empty() ? ip_with_port(spec.ip, spec.port) : spec.host)),
        check_(spec.expect_status, spec.expect) {}

  std::optional<ProbeResult> start() override {
    mark_start();
    ConnectStart c = start_connect(SOCK_STREAM, probe_sockaddr(spec_.ip, spec_.port));
    if (c.error) return ProbeResult::failure(errno_words(c.error));
    fd_ = std::move(c.fd);
    reset_on_close(fd_.get());
    if (auto made = make_stream(); !made) return ProbeResult::failure(made.error().message);
    auto token = env_.loop().watch(fd_.get(), EPOLLOUT, [this](uint32_t) { on_ready(); });
    if (!token) return ProbeResult::failure(token.error().message);
    watch_ = FdWatch(env_.loop(), *token);
    return std::nullopt;
  }

 private:
  enum class Phase { connecting, handshaking, writing, reading };

  Result<void> make_stream() {
    if (spec_.type == ProbeType::http) {
      stream_ = plain_stream(fd_.get());
      return Ok{};
    }
    auto ctx = env_.tls(spec_.verify);
    if (!ctx) return ctx.error();
    auto stream = tls_stream(**ctx, fd_.get(), spec_.host.empty() ? spec_.ip : spec_.host);
    if (!stream) return stream.error();
    stream_ = std::move(*stream);
    return Ok{};
  }

  void on_ready() {
    auto result = advance();
    if (!result) return;
    if (result->up) result->latency = elapsed();
    watch_.reset();
    stream_.reset();
    fd_.reset();
    finish(std::move(*result));
  }

  // Runs the exchange as far as the socket allows; a result once the probe is decided.
  std::optional<ProbeResult> advance() {
    for (;;) {
      IoResult io;
      switch (phase_) {
        case Phase::connecting:
          if (int err = socket_error(fd_.get())) return ProbeResult::failure(errno_words(err));
          phase_ = Phase::handshaking;
          continue;
        case Phase::handshaking:
          io = stream_->handshake();
          if (io.status == IoStatus::done) phase_ = Phase::writing;
          break;
        case Phase::writing:
          io = stream_->write(std::string_view(request_).substr(sent_));
          if (io.status == IoStatus::done && (sent_ += io.bytes) == request_.size()) {
            phase_ = Phase::reading;
          }
          break;
        case Phase::reading: {
          std::array<char, 4096> buf;
          io = stream_->read(std::span(buf.data(), std::min(buf.size(), check_.room())));
          if (io.status == IoStatus::done) {
            if (auto decided = check_.feed(std::string_view(buf.data(), io.bytes))) return decided;
          } else if (io.status == IoStatus::closed) {
            return check_.at_eof();
          }
          break;
        }
      }
      if (io.status == IoStatus::done) continue;
      if (auto decided = wait_for(io)) return decided;
      return std::nullopt;
    }
  }

  // Re-arms the watch for what the stream waits for, or turns a dead end into a failure.
  std::optional<ProbeResult> wait_for(const IoResult& io) {
    uint32_t events = 0;
    switch (io.status) {
      case IoStatus::want_read:
        events = EPOLLIN;
        break;
      case IoStatus::want_write:
        events = EPOLLOUT;
        break;
      case IoStatus::closed:
        return ProbeResult::failure("connection closed before the http response");
      case IoStatus::failed:
        return ProbeResult::failure(io.error);
      case IoStatus::done:
        return std::nullopt;
    }
    if (events != interest_) {
      if (auto r = env_.loop().modify(watch_.token(), events); !r) {
        return ProbeResult::failure(r.error().message);
      }
      interest_ = events;
    }
    return std::nullopt;
  }

  ProbeEnv& env_;
  ProbeSpec spec_;
  std::string request_;
  HttpResponseCheck check_;
  Phase phase_ = Phase::connecting;
  size_t sent_ = 0;
  uint32_t interest_ = EPOLLOUT;
  UniqueFd fd_;
  std::unique_ptr<ByteStream> stream_;  // uses fd_: destroyed before it
  FdWatch watch_;
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  return std::make_unique<HttpProbe>(env, spec, std::move(done));
}

}  // namespace xlb::health

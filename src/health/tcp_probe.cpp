// tcp: up when the three-way handshake completes; down on refusal, an error or the timeout.
#include <sys/socket.h>

#include "health/probe.h"
#include "health/socket_util.h"

namespace xlb::health {
namespace {

class TcpProbe final : public Probe {
 public:
  TcpProbe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done)
      : Probe(std::move(done)), loop_(env.loop()), to_(probe_sockaddr(spec.ip, spec.port)) {}

  std::optional<ProbeResult> start() override {
    mark_start();
    ConnectStart c = start_connect(SOCK_STREAM, to_);
    if (c.error) return ProbeResult::failure(errno_words(c.error));
    fd_ = std::move(c.fd);
    reset_on_close(fd_.get());
    auto token = loop_.watch(fd_.get(), EPOLLOUT, [this](uint32_t) { on_writable(); });
    if (!token) return ProbeResult::failure(token.error().message);
    watch_ = FdWatch(loop_, *token);
    return std::nullopt;
  }

 private:
  void on_writable() {
    int err = socket_error(fd_.get());
    watch_.reset();
    fd_.reset();
    finish(err ? ProbeResult::failure(errno_words(err)) : ProbeResult::success(elapsed()));
  }

  EventLoop& loop_;
  ProbeAddress to_;
  UniqueFd fd_;
  FdWatch watch_;  // after fd_: released first
};

}  // namespace

std::unique_ptr<Probe> make_tcp_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  return std::make_unique<TcpProbe>(env, spec, std::move(done));
}

}  // namespace xlb::health

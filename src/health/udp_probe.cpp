// udp: send the payload on a connected socket. A reply (containing `expect`, if set) is up;
// without `expect`, silence until the timeout is up too, since many UDP services do not answer
// unknown payloads. An ICMP port unreachable comes back as ECONNREFUSED on the connected socket
// and is down.
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <string_view>

#include "common/quote.h"
#include "health/probe.h"
#include "health/socket_util.h"

namespace xlb::health {
namespace {

class UdpProbe final : public Probe {
 public:
  UdpProbe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done)
      : Probe(std::move(done)),
        loop_(env.loop()),
        to_(probe_sockaddr(spec.ip, spec.port)),
        payload_(spec.request),
        expect_(spec.expect) {}

  std::optional<ProbeResult> start() override {
    mark_start();
    ConnectStart c = start_connect(SOCK_DGRAM, to_);
    if (c.error) return ProbeResult::failure(errno_words(c.error));
    fd_ = std::move(c.fd);
    if (::send(fd_.get(), payload_.data(), payload_.size(), 0) < 0) {
      return ProbeResult::failure(words(errno));
    }
    auto token = loop_.watch(fd_.get(), EPOLLIN, [this](uint32_t) { on_readable(); });
    if (!token) return ProbeResult::failure(token.error().message);
    watch_ = FdWatch(loop_, *token);
    return std::nullopt;
  }

  ProbeResult on_timeout(double timeout_s) override {
    if (expect_.empty()) return ProbeResult::success();  // silence: nothing refused it
    return ProbeResult::failure(timeout_words(timeout_s) + " without a reply");
  }

 private:
  static std::string words(int err) {
    return err == ECONNREFUSED ? "icmp port unreachable" : errno_words(err);
  }

  void on_readable() {
    std::array<char, 4096> buf;  // `expect` is looked for in the first 4 KiB
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;  // spurious wake-up
    ProbeResult result;
    if (n < 0) {
      result = ProbeResult::failure(words(errno));
    } else if (std::string_view(buf.data(), static_cast<size_t>(n)).find(expect_) ==
               std::string_view::npos) {
      result = ProbeResult::failure("reply does not contain " + xlb::quoted(expect_));
    } else {
      result = ProbeResult::success(elapsed());
    }
    watch_.reset();
    fd_.reset();
    finish(std::move(result));
  }

  EventLoop& loop_;
  ProbeAddress to_;
  std::string payload_;
  std::string expect_;
  UniqueFd fd_;
  FdWatch watch_;  // after fd_: released first
};

}  // namespace

std::unique_ptr<Probe> make_udp_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  return std::make_unique<UdpProbe>(env, spec, std::move(done));
}

}  // namespace xlb::health

// ping: up on an ICMP echo reply from the target; down on an ICMP error about the request (raw
// sockets only), a send error or the timeout.
#include <arpa/inet.h>

#include "health/icmp_socket.h"
#include "health/probe.h"

namespace xlb::health {
namespace {

class PingProbe final : public Probe {
 public:
  PingProbe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done)
      : Probe(std::move(done)), env_(env) {
    ::inet_pton(AF_INET, spec.ip.c_str(), &to_);
  }
  ~PingProbe() override {
    if (seq_) icmp_->forget(*seq_);
  }

  std::optional<ProbeResult> start() override {
    mark_start();
    auto icmp = env_.icmp();
    if (!icmp) return ProbeResult::failure(icmp.error().message);
    icmp_ = *icmp;
    auto seq = icmp_->send_echo(to_, [this](std::optional<std::string> error) {
      seq_.reset();  // answered: nothing left to forget
      finish(error ? ProbeResult::failure(std::move(*error)) : ProbeResult::success(elapsed()));
    });
    if (!seq) return ProbeResult::failure(seq.error().message);
    seq_ = *seq;
    return std::nullopt;
  }

 private:
  ProbeEnv& env_;
  in_addr to_{};
  IcmpSocket* icmp_ = nullptr;
  std::optional<uint16_t> seq_;
};

}  // namespace

std::unique_ptr<Probe> make_ping_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  return std::make_unique<PingProbe>(env, spec, std::move(done));
}

}  // namespace xlb::health

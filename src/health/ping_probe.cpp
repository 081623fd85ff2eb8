// ping: ICMP echo or, to an IPv6 address, ICMPv6 echo; up on an echo reply from the target; down on
// an ICMP error about the request (raw sockets only), a send error or the timeout.
#include "health/icmp_socket.h"
#include "health/probe.h"

namespace xlb::health {
namespace {

class PingProbe final : public Probe {
 public:
  PingProbe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done)
      : Probe(std::move(done)), env_(env), to_(parse_ip(spec.ip).value_or(IpAddress{})) {}
  ~PingProbe() override {
    if (seq_) icmp_->forget(*seq_);
  }

  std::optional<ProbeResult> start() override {
    mark_start();
    auto icmp = env_.icmp(to_.family);
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
  IpAddress to_;  // validated
  IcmpSocket* icmp_ = nullptr;
  std::optional<uint16_t> seq_;
};

}  // namespace

std::unique_ptr<Probe> make_ping_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  return std::make_unique<PingProbe>(env, spec, std::move(done));
}

}  // namespace xlb::health

#include "health/icmp_socket.h"
#include "health/probe.h"
#include "health/tls_stream.h"

namespace xlb::health {

ProbeEnv::ProbeEnv(EventLoop& loop) : loop_(loop) {}
ProbeEnv::~ProbeEnv() = default;

Result<IcmpSocket*> ProbeEnv::icmp(uint8_t family) {
  auto& slot = icmp_[family == XLB_AF_INET6 ? 1 : 0];
  if (!slot) {
    auto opened = IcmpSocket::open(loop_, family);
    if (!opened) return opened.error();  // retried by the next ping, e.g. after a capability fix
    slot = std::move(*opened);
  }
  return slot.get();
}

Result<TlsContext*> ProbeEnv::tls(bool verify) {
  auto& slot = tls_[verify ? 1 : 0];
  if (!slot) {
    auto created = TlsContext::create(verify);
    if (!created) return created.error();
    slot = std::move(*created);
  }
  return slot.get();
}

std::unique_ptr<Probe> make_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) {
  switch (spec.type) {
    case ProbeType::ping:
      return make_ping_probe(env, spec, std::move(done));
    case ProbeType::udp:
      return make_udp_probe(env, spec, std::move(done));
    case ProbeType::http:
    case ProbeType::https:
      return make_http_probe(env, spec, std::move(done));
    case ProbeType::tcp:
    case ProbeType::none:  // never probed; callers skip it
      break;
  }
  return make_tcp_probe(env, spec, std::move(done));
}

}  // namespace xlb::health

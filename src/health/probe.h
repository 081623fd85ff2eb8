// One probe in flight: the interface every prober implements, and what probers share (ProbeEnv).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "common/result.h"
#include "health/event_loop.h"
#include "health/probe_result.h"
#include "health/probe_spec.h"

namespace xlb::health {

class IcmpSocket;
class TlsContext;

using ProbeDone = std::function<void(ProbeResult)>;

class Probe {
 public:
  virtual ~Probe() = default;  // cancels: closes the socket and drops its watch

  // Begins the probe. A result returned here decided it at once (e.g. no socket); otherwise
  // exactly one result arrives later through `done`, called from the loop thread. `done` may
  // keep the probe alive or hand it off, but must not destroy it (it runs inside its handler).
  virtual std::optional<ProbeResult> start() = 0;

  // The result when the timeout expires first: a failure, except for udp, where silence is up.
  virtual ProbeResult on_timeout(double timeout_s) {
    return ProbeResult::failure(timeout_words(timeout_s));
  }

 protected:
  explicit Probe(ProbeDone done) : done_(std::move(done)) {}

  void mark_start() { started_ = std::chrono::steady_clock::now(); }
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                 started_);
  }
  void finish(ProbeResult result) {
    if (finished_) return;
    finished_ = true;
    done_(std::move(result));
  }

 private:
  ProbeDone done_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The loop plus resources that probes share and that are costly or limited per probe: one ICMP
// socket for all pings (a raw socket sees every ICMP packet, so one per probe would be O(n^2))
// and one TLS context per verify mode (loading the CA store once). Loop thread only.
class ProbeEnv {
 public:
  explicit ProbeEnv(EventLoop& loop);
  ~ProbeEnv();
  ProbeEnv(const ProbeEnv&) = delete;
  ProbeEnv& operator=(const ProbeEnv&) = delete;

  EventLoop& loop() { return loop_; }
  Result<IcmpSocket*> icmp(uint8_t family);  // one per family, opened on first use
  Result<TlsContext*> tls(bool verify);

 private:
  EventLoop& loop_;
  std::unique_ptr<IcmpSocket> icmp_[2];  // [IPv6]
  std::unique_ptr<TlsContext> tls_[2];   // [verify]
};

// The prober for spec.type (not none). Call start() on it.
std::unique_ptr<Probe> make_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);

// One prober per file; make_probe() picks among them.
std::unique_ptr<Probe> make_tcp_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);
std::unique_ptr<Probe> make_udp_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);
std::unique_ptr<Probe> make_ping_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);
std::unique_ptr<Probe> make_http_probe(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);

}  // namespace xlb::health

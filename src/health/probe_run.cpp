#include "health/probe_run.h"

#include "health/sigpipe.h"

namespace xlb::health {

ProbeRun::ProbeRun(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done) : done_(std::move(done)) {
  EventLoop& loop = env.loop();
  probe_ = make_probe(env, spec, [this](ProbeResult r) { complete(std::move(r)); });
  if (auto immediate = probe_->start()) {
    // Deliver on the next loop turn: the caller is still constructing us.
    timer_ = ScopedTimer(
        loop, loop.add_timer(EventLoop::Clock::now(), [this, r = std::move(*immediate)]() mutable {
          complete(std::move(r));
        }));
    return;
  }
  auto deadline = EventLoop::Clock::now() + std::chrono::duration_cast<EventLoop::Clock::duration>(
                                                std::chrono::duration<double>(spec.timeout_s));
  timer_ = ScopedTimer(loop, loop.add_timer(deadline, [this, timeout = spec.timeout_s] {
    complete(probe_->on_timeout(timeout));
  }));
}

void ProbeRun::complete(ProbeResult result) {
  if (completed_) return;  // e.g. the socket answered after the timeout was already counted
  completed_ = true;
  timer_.reset();
  done_(std::move(result));
}

ProbeResult probe_once(const ProbeSpec& spec) {
  if (spec.type == ProbeType::none) return ProbeResult::success();
  if (auto valid = validate(spec); !valid) return ProbeResult::failure(valid.error().message);
  auto loop = EventLoop::create();
  if (!loop) return ProbeResult::failure(loop.error().message);
  SigpipeBlocked no_sigpipe;
  ProbeEnv env(**loop);
  std::optional<ProbeResult> result;
  {
    ProbeRun run(env, spec, [&result](ProbeResult r) { result = std::move(r); });
    while (!result) (*loop)->run_once(std::chrono::seconds(1));
  }
  return std::move(*result);
}

}  // namespace xlb::health

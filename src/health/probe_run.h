// One probe in flight together with its timeout; and probe_once(), a blocking single probe.
#pragma once

#include <memory>

#include "health/probe.h"

namespace xlb::health {

class ProbeRun {
 public:
  // Starts a probe of `spec` (type not none). `done` runs exactly once, on the loop thread and
  // never from inside this constructor, with the probe's result or the timeout's. `done` may move
  // the run elsewhere but must not destroy it. Destroying the run cancels the probe.
  ProbeRun(ProbeEnv& env, const ProbeSpec& spec, ProbeDone done);
  ProbeRun(const ProbeRun&) = delete;
  ProbeRun& operator=(const ProbeRun&) = delete;

 private:
  void complete(ProbeResult result);

  ProbeDone done_;
  bool completed_ = false;
  std::unique_ptr<Probe> probe_;
  ScopedTimer timer_;  // the timeout, or the deferred delivery of an immediate result
};

// Runs one probe of `spec` on a private event loop and waits for its result (at most
// spec.timeout_s). For tests and "probe now" tooling; the checker never blocks like this.
ProbeResult probe_once(const ProbeSpec& spec);

}  // namespace xlb::health

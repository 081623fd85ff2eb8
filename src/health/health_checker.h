// HealthChecker: runs every target's probe on one event-loop thread and keeps each target's
// state (rise/fall), latency and last error. Targets are keyed by an id the caller chooses,
// e.g. "10.0.0.2:8080/tcp".
//
// Threading: upsert(), remove(), snapshot() and get() may be called from any thread. The
// transition callback runs on the checker's own loop thread (see Options::on_transition).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "health/event_loop.h"
#include "health/health_state.h"
#include "health/probe.h"
#include "health/probe_run.h"
#include "health/probe_spec.h"
#include "health/schedule.h"

namespace xlb::health {

struct TargetHealth {
  std::string id;
  ProbeSpec spec;
  HealthState health;  // health.latency.stats() gives min/avg/max ms
};

class HealthChecker {
 public:
  using TransitionCallback = std::function<void(const std::string& id, TargetState from,
                                                TargetState to, const std::string& reason)>;
  struct Options {
    // Called once per state change, on the checker's loop thread, with no checker lock held:
    // it may call upsert(), remove(), snapshot() and get(), but it delays every probe while it
    // runs, so keep it short (log, queue a reconcile), and it must not destroy the checker.
    TransitionCallback on_transition;
    // Called after every finished probe (same thread and rules as on_transition), e.g. to feed
    // a latency histogram.
    std::function<void(const std::string& id, const ProbeResult& result)> on_probe_result;
    // Randomness for the jittered schedule; tests inject a fixed source.
    UniformSource uniform = default_uniform_source();
  };

  // Starts the loop thread.
  static Result<std::unique_ptr<HealthChecker>> start(Options options);
  // Stops and joins the loop thread; no callback runs after it returns.
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Adds a target (state unknown, first probe at a random point within its period) or changes
  // its probe (state kept, consecutive counts and latency restarted). An identical spec is a
  // no-op. Type none is not probed and is ok. Fails only when `spec` is invalid.
  Result<void> upsert(const std::string& id, const ProbeSpec& spec);
  // Stops probing the target and forgets it (no callback). False if there was no such target.
  bool remove(const std::string& id);

  std::vector<TargetHealth> snapshot() const;  // sorted by id
  std::optional<TargetHealth> get(const std::string& id) const;
  size_t size() const;

 private:
  // What every thread sees, under mu_.
  struct Record {
    ProbeSpec spec;
    HealthState health;
    uint64_t generation = 0;  // bumped by every spec change, so stale results are dropped
  };
  // What only the loop thread touches: the schedule and the probe in flight.
  struct Active {
    ProbeSpec spec;
    uint64_t generation = 0;
    EventLoop::Clock::time_point started{};
    ScopedTimer next;
    std::unique_ptr<ProbeRun> run;
  };

  HealthChecker(Options options, std::unique_ptr<EventLoop> loop);
  void run_loop();
  void apply_changes();
  void schedule_probe(const std::string& id, Active& a, EventLoop::Clock::duration delay);
  void start_probe(const std::string& id, uint64_t generation);
  void on_result(const std::string& id, uint64_t generation, ProbeResult result);
  using HealthUpdate = std::function<std::optional<Transition>(
      HealthState&, std::chrono::system_clock::time_point now)>;
  // Applies `update` to the target's health under mu_, unless the spec changed since.
  std::optional<Transition> update_health(const std::string& id, uint64_t generation,
                                          const HealthUpdate& update);
  void announce(const std::string& id, const std::optional<Transition>& t);

  Options options_;
  JitterSchedule schedule_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ProbeEnv> env_;  // after loop_: destroyed before it

  mutable std::mutex mu_;
  std::map<std::string, Record> records_;  // guarded by mu_
  std::set<std::string> changed_;          // guarded by mu_: ids upserted or removed
  uint64_t next_generation_ = 1;           // guarded by mu_

  // Loop thread only; emptied by the loop thread before it exits.
  std::unordered_map<std::string, Active> active_;
  std::vector<std::unique_ptr<ProbeRun>> finished_;  // freed after the handler that finished them

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace xlb::health

#include "health/health_checker.h"

#include "health/sigpipe.h"

namespace xlb::health {
namespace {

using Clock = EventLoop::Clock;

Thresholds thresholds(const ProbeSpec& spec) { return Thresholds{spec.rise, spec.retries}; }

}  // namespace

Result<std::unique_ptr<HealthChecker>> HealthChecker::start(Options options) {
  auto loop = EventLoop::create();
  if (!loop) return loop.error();
  std::unique_ptr<HealthChecker> checker(new HealthChecker(std::move(options), std::move(*loop)));
  checker->thread_ = std::thread([c = checker.get()] { c->run_loop(); });
  return checker;
}

HealthChecker::HealthChecker(Options options, std::unique_ptr<EventLoop> loop)
    : options_(std::move(options)),
      schedule_(options_.uniform ? options_.uniform : default_uniform_source()),
      loop_(std::move(loop)),
      env_(std::make_unique<ProbeEnv>(*loop_)) {}

HealthChecker::~HealthChecker() {
  stopping_ = true;
  loop_->wake();
  if (thread_.joinable()) thread_.join();
}

Result<void> HealthChecker::upsert(const std::string& id, const ProbeSpec& spec) {
  XLB_TRY(validate(spec));
  {
    std::lock_guard lock(mu_);
    auto [it, fresh] = records_.try_emplace(id);
    Record& rec = it->second;
    if (!fresh && rec.spec == spec) return Ok{};
    if (fresh) {
      rec.health.last_transition = std::chrono::system_clock::now();
    } else {  // a different probe: its earlier results say nothing about the new one
      rec.health.successes = 0;
      rec.health.failures = 0;
      rec.health.latency.clear();
    }
    rec.spec = spec;
    rec.generation = next_generation_++;
    changed_.insert(id);
  }
  loop_->wake();
  return Ok{};
}

bool HealthChecker::remove(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    if (records_.erase(id) == 0) return false;
    changed_.insert(id);
  }
  loop_->wake();
  return true;
}

std::vector<TargetHealth> HealthChecker::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<TargetHealth> out;
  out.reserve(records_.size());
  for (const auto& [id, rec] : records_) out.push_back(TargetHealth{id, rec.spec, rec.health});
  return out;
}

std::optional<TargetHealth> HealthChecker::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return TargetHealth{id, it->second.spec, it->second.health};
}

size_t HealthChecker::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

void HealthChecker::run_loop() {
  SigpipeBlocked no_sigpipe;  // see sigpipe.h: TLS writes must not kill the daemon
  while (!stopping_) {
    apply_changes();
    loop_->run_once(std::chrono::seconds(1));
    finished_.clear();
  }
  active_.clear();
  finished_.clear();
}

// Brings the loop's schedule in line with the records changed by upsert() and remove().
void HealthChecker::apply_changes() {
  std::set<std::string> changed;
  {
    std::lock_guard lock(mu_);
    changed.swap(changed_);
  }
  for (const std::string& id : changed) {
    std::optional<std::pair<ProbeSpec, uint64_t>> current;
    {
      std::lock_guard lock(mu_);
      auto it = records_.find(id);
      if (it != records_.end()) current.emplace(it->second.spec, it->second.generation);
    }
    if (!current) {
      active_.erase(id);  // cancels its timer and any probe in flight
      continue;
    }
    Active& a = active_[id];
    if (a.generation == current->second) continue;
    a.run.reset();
    a.next.reset();
    a.spec = std::move(current->first);
    a.generation = current->second;
    if (a.spec.type == ProbeType::none) {
      announce(id, update_health(id, a.generation, [](HealthState& h, auto now) {
                 return force_state(h, TargetState::ok, "no probe configured", now);
               }));
      continue;
    }
    schedule_probe(id, a, schedule_.first_delay(a.spec.period_s));
  }
}

void HealthChecker::schedule_probe(const std::string& id, Active& a, Clock::duration delay) {
  a.next = ScopedTimer(*loop_,
                       loop_->add_timer(Clock::now() + delay,
                                        [this, id, gen = a.generation] { start_probe(id, gen); }));
}

void HealthChecker::start_probe(const std::string& id, uint64_t generation) {
  auto it = active_.find(id);
  if (it == active_.end() || it->second.generation != generation) return;
  Active& a = it->second;
  a.started = Clock::now();
  a.run = std::make_unique<ProbeRun>(*env_, a.spec, [this, id, generation](ProbeResult r) {
    on_result(id, generation, std::move(r));
  });
}

void HealthChecker::on_result(const std::string& id, uint64_t generation, ProbeResult result) {
  auto it = active_.find(id);
  if (it == active_.end() || it->second.generation != generation) return;
  finished_.push_back(std::move(it->second.run));  // we are inside its handler: free it later
  Thresholds limits = thresholds(it->second.spec);
  auto t = update_health(id, generation, [&](HealthState& h, auto now) {
    return record_result(h, result, limits, now);
  });
  if (options_.on_probe_result) options_.on_probe_result(id, result);
  announce(id, t);
  // The next start is one jittered period after this one started, not after it finished, so a
  // slow target is not probed less often; never earlier than now.
  it = active_.find(id);  // the callback cannot erase it, but stays honest if that changes
  if (it == active_.end()) return;
  Active& a = it->second;
  auto next = a.started + schedule_.next_delay(a.spec.period_s) - Clock::now();
  schedule_probe(id, a, std::max(next, Clock::duration::zero()));
}

std::optional<Transition> HealthChecker::update_health(const std::string& id, uint64_t generation,
                                                       const HealthUpdate& update) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  // A changed or removed spec makes the result stale: it says nothing about the new probe.
  if (it == records_.end() || it->second.generation != generation) return std::nullopt;
  return update(it->second.health, std::chrono::system_clock::now());
}

void HealthChecker::announce(const std::string& id, const std::optional<Transition>& t) {
  if (t && options_.on_transition) options_.on_transition(id, t->from, t->to, t->reason);
}

}  // namespace xlb::health

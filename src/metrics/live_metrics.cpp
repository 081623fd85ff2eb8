#include "metrics/live_metrics.h"

#include <spdlog/sinks/base_sink.h>

namespace xlb::metrics {
namespace {

// Counts what reaches it; the logger only hands it events at or above its level (error).
class CountingSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 protected:
  void sink_it_(const spdlog::details::log_msg&) override {
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  void flush_() override {}

 private:
  std::atomic<uint64_t> count_{0};
};

}  // namespace

const std::vector<double>& probe_latency_buckets() {
  static const std::vector<double> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,   0.25,   0.5,   1,    2.5};
  return buckets;
}

LiveMetrics::LiveMetrics()
    : latency_(prometheus::BuildHistogram()
                   .Name("xlb_health_probe_duration_seconds")
                   .Help("Round trip of answered health probes, per health check")
                   .Register(registry_)),
      probes_(prometheus::BuildCounter()
                  .Name("xlb_health_probes_total")
                  .Help("Health probes finished, per health check and result (ok, failed)")
                  .Register(registry_)),
      error_sink_(std::make_shared<CountingSink>()) {
  error_sink_->set_level(spdlog::level::err);
}

LiveMetrics::ProbeSeries& LiveMetrics::series(const std::string& check) {
  auto it = series_.find(check);
  if (it != series_.end()) return it->second;
  ProbeSeries s{&latency_.Add({{"check", check}}, probe_latency_buckets()),
                &probes_.Add({{"check", check}, {"result", "ok"}}),
                &probes_.Add({{"check", check}, {"result", "failed"}})};
  return series_.emplace(check, s).first->second;
}

void LiveMetrics::observe_probe(const std::string& check, bool up, std::optional<double> seconds) {
  std::lock_guard lock(mu_);
  ProbeSeries& s = series(check);
  (up ? s.ok : s.failed)->Increment();
  if (seconds) s.latency->Observe(*seconds);
}

void LiveMetrics::retain_probes(const std::set<std::string>& checks) {
  std::lock_guard lock(mu_);
  for (auto it = series_.begin(); it != series_.end();) {
    if (checks.contains(it->first)) {
      ++it;
      continue;
    }
    latency_.Remove(it->second.latency);
    probes_.Remove(it->second.ok);
    probes_.Remove(it->second.failed);
    it = series_.erase(it);
  }
}

uint64_t LiveMetrics::control_plane_errors() const {
  return static_cast<const CountingSink&>(*error_sink_).count();
}

std::vector<prometheus::MetricFamily> LiveMetrics::collect() const {
  std::lock_guard lock(mu_);
  return registry_.Collect();
}

}  // namespace xlb::metrics

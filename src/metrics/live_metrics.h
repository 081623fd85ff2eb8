// Metrics xlbd accumulates as events happen, between scrapes: health-probe latency (histogram)
// and outcome per health check, and control-plane errors (every error-level log event). Everything
// else is read from the datapath at scrape time (see exposition.h).
//
// Thread-safe: probes are observed on the health loop thread, errors on any thread, and
// collect() runs on an API thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/sink.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace xlb::metrics {

class LiveMetrics {
 public:
  LiveMetrics();

  // One finished probe of health check `check` (its id: "<ip>:<port>", or "<ip>" for a host
  // probe without a port); `seconds` is its round trip when it got an answer (a refused or
  // silent probe has none and only counts as failed).
  void observe_probe(const std::string& check, bool up, std::optional<double> seconds);
  // Drops the series of checks not in `checks`, so a removed endpoint leaves /metrics.
  void retain_probes(const std::set<std::string>& checks);

  // A spdlog sink to add to the daemon's logger: it counts error and critical events.
  spdlog::sink_ptr error_sink() const { return error_sink_; }
  uint64_t control_plane_errors() const;

  std::vector<prometheus::MetricFamily> collect() const;

 private:
  struct ProbeSeries {
    prometheus::Histogram* latency;
    prometheus::Counter* ok;
    prometheus::Counter* failed;
  };
  ProbeSeries& series(const std::string& check);  // mu_ held

  prometheus::Registry registry_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& probes_;
  mutable std::mutex mu_;
  std::map<std::string, ProbeSeries> series_;  // guarded by mu_
  spdlog::sink_ptr error_sink_;
};

// Probe latency buckets in seconds: loopback answers in well under a millisecond, the default
// probe timeout is 2 s.
const std::vector<double>& probe_latency_buckets();

}  // namespace xlb::metrics

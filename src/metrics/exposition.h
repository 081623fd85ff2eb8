// The /metrics page: one scrape's state turned into a fresh prometheus-cpp registry (so removed
// rules and endpoints vanish at once), merged with the live metrics and serialized with
// prometheus::TextSerializer. Metric names and labels are listed in docs/metrics.md.
#pragma once

#include <string>

#include "metrics/live_metrics.h"
#include "metrics/scrape_input.h"

namespace xlb::metrics {

// Prometheus text exposition format 0.0.4. `live` may be null (no health or error metrics).
std::string render(const ScrapeInput& input, const LiveMetrics* live);

// The Content-Type of render()'s output.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace xlb::metrics

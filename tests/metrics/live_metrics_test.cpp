// LiveMetrics: probe outcomes and latency per health check, pruning, and the error-counting
// log sink.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "exposition_lines.h"
#include "metrics/exposition.h"

namespace xlb::metrics {
namespace {

TEST(LiveMetrics, ProbesCountByResultAndAnsweredOnesFillTheHistogram) {
  LiveMetrics live;
  live.observe_probe("10.0.0.1:80", true, 0.0003);
  live.observe_probe("10.0.0.1:80", true, 0.02);
  live.observe_probe("10.0.0.1:80", false, std::nullopt);  // refused: no round trip
  const std::string text = render({}, &live);
  const std::string c = R"(check="10.0.0.1:80")";
  EXPECT_TRUE(has_line(text, "xlb_health_probes_total{" + c + R"(,result="ok"} 2)")) << text;
  EXPECT_TRUE(has_line(text, "xlb_health_probes_total{" + c + R"(,result="failed"} 1)")) << text;
  EXPECT_TRUE(has_line(text, "xlb_health_probe_duration_seconds_count{" + c + "} 2")) << text;
  EXPECT_TRUE(
      has_line(text, "xlb_health_probe_duration_seconds_bucket{" + c + R"(,le="0.0005"} 1)"))
      << text;
  EXPECT_TRUE(has_line(text, "xlb_health_probe_duration_seconds_bucket{" + c + R"(,le="0.025"} 2)"))
      << text;
  EXPECT_TRUE(has_line(text, "# TYPE xlb_health_probe_duration_seconds histogram")) << text;
}

TEST(LiveMetrics, RetainDropsChecksNoLongerProbed) {
  LiveMetrics live;
  live.observe_probe("10.0.0.1:80", true, 0.001);
  live.observe_probe("10.0.0.2", false, std::nullopt);
  live.retain_probes({"10.0.0.2"});
  const std::string text = render({}, &live);
  EXPECT_EQ(text.find("10.0.0.1:80"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, R"(xlb_health_probes_total{check="10.0.0.2",result="failed"} 1)"))
      << text;
}

TEST(LiveMetrics, ErrorSinkCountsErrorAndCriticalOnly) {
  LiveMetrics live;
  spdlog::logger logger("test", live.error_sink());
  logger.set_level(spdlog::level::trace);
  logger.info("fine");
  logger.warn("hmm");
  logger.error("broken {}", 1);
  logger.critical("very broken");
  EXPECT_EQ(live.control_plane_errors(), 2u);
}

}  // namespace
}  // namespace xlb::metrics

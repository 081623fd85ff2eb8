// GET /metrics on a real xlbd: the exposition passes `promtool check metrics`, rules and
// endpoints appear (and disappear) with their labels, verdict counters equal the REST API's,
// health checks feed state and the probe histogram; with --log-format=json every log line is a
// JSON object and configuration changes and health transitions are events naming rule and
// endpoint.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "harness.h"
#include "tcp_listener.h"

namespace xlb::test {
namespace {

using nlohmann::json;

// The value of the first sample named `name` whose labels include every `key="value"` in
// `labels`, or nullopt. Just enough of the text format for assertions; promtool checks the rest.
std::optional<double> sample(const std::string& text, const std::string& name,
                             const std::vector<std::string>& labels = {}) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto series_end = line.rfind(' ');
    const std::string series = line.substr(0, series_end);
    const auto brace = series.find('{');
    if (series.substr(0, brace) != name) continue;
    const std::string label_text = brace == std::string::npos ? "" : series.substr(brace);
    bool all = true;
    for (const auto& l : labels) all = all && label_text.find(l) != std::string::npos;
    if (all) return std::stod(line.substr(series_end + 1));
  }
  return std::nullopt;
}

// xlbd logs JSON at info level here, so tests can check the structured events too.
class Metrics : public ApiTest {
 protected:
  httplib::Client http = api_client();

  std::vector<std::string> daemon_args() const override {
    return {"--interfaces=v0", "--log-format=json", "--log-level=info"};
  }

  // The log events with this "msg" so far (every event when empty); fails the test on a line
  // that is not a JSON object with time, level and msg.
  std::vector<json> events(const std::string& msg) {
    std::istringstream lines(daemon().xlbd().log());
    std::vector<json> out;
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j["time"].is_string() || !j["level"].is_string() ||
          !j["msg"].is_string()) {
        ADD_FAILURE() << "not a JSON log object: " << line;
        continue;
      }
      if (msg.empty() || j["msg"] == msg) out.push_back(std::move(j));
    }
    return out;
  }

  std::string scrape() {
    auto res = http.Get("/metrics");
    if (!res) {
      ADD_FAILURE() << "GET /metrics: " << httplib::to_string(res.error());
      return "";
    }
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
    return res->body;
  }

  void create(const json& rule) {
    auto res = http.Post("/api/v1/loadbalancers", rule.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }
};

TEST_F(Metrics, ExpositionPassesPromtool) {
  ASSERT_NO_FATAL_FAILURE(create(web_rule()));
  const std::string text = scrape();
  ASSERT_FALSE(text.empty());
  if (run({"sh", "-c", "command -v promtool"}).exit_code != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus): exposition not linted";
  }
  TempDir dir("xlbmetrics");
  const std::string path = dir.path() + "/metrics.txt";
  std::ofstream(path) << text;
  // promtool reads the exposition on stdin; it exits non-zero on errors and on lint problems.
  auto checked = run({"sh", "-c", "promtool check metrics < \"$1\"", "sh", path});
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << "\n" << text;
  EXPECT_EQ(checked.out + checked.err, "") << text;
}

TEST_F(Metrics, RulesAndEndpointsAppearWithTheirLabelsAndLeaveWhenRemoved) {
  const std::string before = scrape();
  EXPECT_EQ(sample(before, "xlb_rules"), 0.0);
  EXPECT_EQ(sample(before, "xlb_rule_packets_total"), std::nullopt);
  EXPECT_EQ(sample(before, "xlb_build_info", {"version=\""}), 1.0);
  EXPECT_EQ(sample(before, "xlb_conntrack_capacity_entries"), 4096.0);  // harness --ct-size

  ASSERT_NO_FATAL_FAILURE(create(web_rule()));
  const std::string text = scrape();
  const std::vector<std::string> rule = {"rule=\"web\"", "vip=\"10.0.0.100\"", "port=\"80\"",
                                         "protocol=\"tcp\""};
  EXPECT_EQ(sample(text, "xlb_rules"), 1.0);
  for (const char* name : {"xlb_rule_packets_total", "xlb_rule_bytes_total",
                           "xlb_rule_new_flows_total", "xlb_rule_active_flows"}) {
    EXPECT_EQ(sample(text, name, rule), 0.0) << name << " in\n" << text;
  }
  auto ep = rule;
  ep.push_back("endpoint=\"10.0.1.3:8080\"");
  EXPECT_EQ(sample(text, "xlb_endpoint_new_flows_total", ep), 0.0) << text;
  auto up = ep, draining = ep;
  up.push_back("state=\"up\"");
  draining.push_back("state=\"draining\"");
  EXPECT_EQ(sample(text, "xlb_endpoint_admin_state", up), 1.0) << text;
  EXPECT_EQ(sample(text, "xlb_endpoint_admin_state", draining), 0.0) << text;
  // Not monitored: no health series.
  EXPECT_EQ(sample(text, "xlb_endpoint_health_state"), std::nullopt) << text;

  auto patched =
      http.Patch("/api/v1/endpoints/10.0.1.3", R"({"state":"draining"})", "application/json");
  ASSERT_TRUE(patched);
  ASSERT_EQ(patched->status, 200) << patched->body;
  const std::string drained = scrape();
  EXPECT_EQ(sample(drained, "xlb_endpoint_admin_state", draining), 1.0) << drained;
  EXPECT_EQ(sample(drained, "xlb_endpoint_admin_state", up), 0.0) << drained;
  const auto changed = events("endpoint state changed");
  ASSERT_EQ(changed.size(), 1u) << daemon().xlbd().log();
  EXPECT_EQ(changed[0]["endpoint"], "10.0.1.3");
  EXPECT_EQ(changed[0]["state"], "draining");
  EXPECT_EQ(changed[0]["rules"], "web");

  auto removed = http.Delete("/api/v1/loadbalancers/10.0.0.100/tcp/80");
  ASSERT_TRUE(removed);
  ASSERT_LT(removed->status, 300) << removed->body;
  const std::string after = scrape();
  EXPECT_EQ(sample(after, "xlb_rules"), 0.0);
  EXPECT_EQ(sample(after, "xlb_rule_packets_total", rule), std::nullopt) << after;
  EXPECT_EQ(sample(after, "xlb_endpoint_admin_state", ep), std::nullopt) << after;
}

TEST_F(Metrics, VerdictCountersEqualTheStatsRoute) {
  // The namespace is idle after start-up; read the REST view between two scrapes that agree,
  // so no packet arrived in between.
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::string first = scrape();
    auto res = http.Get("/api/v1/stats");
    ASSERT_TRUE(res);
    const json stats = body_json(res)["datapath"];
    if (scrape() != first) continue;
    ASSERT_FALSE(stats.empty());
    for (const auto& [name, value] : stats.items()) {
      if (name == "flow_events_lost") {  // ring records, not packets: a series of its own
        EXPECT_EQ(sample(first, "xlb_datapath_flow_events_lost_total"), value.get<double>())
            << first;
        continue;
      }
      const auto cut = name.find('_');
      const std::string prefix = name.substr(0, cut);
      const bool split = prefix == "pass" || prefix == "drop" || prefix == "fwd";
      const std::string verdict = !split ? "reply" : prefix == "fwd" ? "forward" : prefix;
      const std::string reason = split ? name.substr(cut + 1) : name;
      EXPECT_EQ(sample(first, "xlb_datapath_packets_total",
                       {"verdict=\"" + verdict + "\"", "reason=\"" + reason + "\""}),
                value.get<double>())
          << name << " in\n"
          << first;
    }
    return;
  }
  FAIL() << "the datapath counters kept changing between scrapes";
}

TEST_F(Metrics, HealthChecksFeedStateAndProbeLatency) {
  must_run({"ip", "addr", "add", "10.0.1.2/24", "dev", "v1"});
  must_run({"ip", "addr", "add", "10.0.1.3/24", "dev", "v1"});
  TcpListener listening("10.0.1.3", 8080);  // 10.0.1.2:8080 refuses
  ASSERT_TRUE(listening.ok());
  json rule = web_rule();
  rule["monitor"] = true;
  ASSERT_NO_FATAL_FAILURE(create(rule));

  // Engine defaults: a probe every 5 s, two to change state.
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::vector<std::string> ok_ep = {"endpoint=\"10.0.1.3:8080\"", "state=\"ok\""};
  const std::vector<std::string> down_ep = {"endpoint=\"10.0.1.2:8080\"", "state=\"down\""};
  while (std::chrono::steady_clock::now() < deadline) {
    text = scrape();
    if (sample(text, "xlb_endpoint_health_state", ok_ep) == 1.0 &&
        sample(text, "xlb_endpoint_health_state", down_ep) == 1.0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(sample(text, "xlb_endpoint_health_state", ok_ep), 1.0) << text;
  ASSERT_EQ(sample(text, "xlb_endpoint_health_state", down_ep), 1.0) << text;

  const auto answered =
      sample(text, "xlb_health_probes_total", {"check=\"10.0.1.3:8080\"", "result=\"ok\""});
  ASSERT_TRUE(answered);
  EXPECT_GE(*answered, 2.0);  // rise 2
  // Every answered probe has a latency; refused ones have none and only count as failed.
  EXPECT_EQ(sample(text, "xlb_health_probe_duration_seconds_count", {"check=\"10.0.1.3:8080\""}),
            *answered);
  EXPECT_EQ(sample(text, "xlb_health_probe_duration_seconds_bucket",
                   {"check=\"10.0.1.3:8080\"", "le=\"+Inf\""}),
            *answered);
  EXPECT_GE(
      sample(text, "xlb_health_probes_total", {"check=\"10.0.1.2:8080\"", "result=\"failed\""})
          .value_or(0),
      2.0);
  EXPECT_EQ(sample(text, "xlb_health_probe_duration_seconds_count", {"check=\"10.0.1.2:8080\""}),
            0.0);

  // One log event per transition, naming the check and the rule.
  std::map<std::string, std::vector<std::string>> transitions;  // check → "from>to"
  for (const json& e : events("endpoint health changed")) {
    EXPECT_EQ(e["rules"], "web") << e.dump();
    EXPECT_TRUE(e["reason"].is_string()) << e.dump();
    transitions[e["check"]].push_back(e["from"].get<std::string>() + ">" +
                                      e["to"].get<std::string>());
  }
  EXPECT_EQ(transitions["10.0.1.3:8080"], std::vector<std::string>{"unknown>ok"});
  EXPECT_EQ(transitions["10.0.1.2:8080"], std::vector<std::string>{"unknown>down"});
}

TEST_F(Metrics, ConfigurationChangesAreJsonLogEventsNamingTheRule) {
  ASSERT_NO_FATAL_FAILURE(create(web_rule()));
  EXPECT_GT(events("").size(), 1u);  // every line so far, each a JSON object
  const auto created = events("rule created");
  ASSERT_EQ(created.size(), 1u) << daemon().xlbd().log();
  EXPECT_EQ(created[0]["level"], "info");
  EXPECT_EQ(created[0]["rule"], "web");
  EXPECT_EQ(created[0]["key"], "10.0.0.100:80/tcp");
  EXPECT_NE(created[0]["endpoints"].get<std::string>().find("10.0.1.3:8080"), std::string::npos);
}

TEST(XlbdOptions, UnknownLogFormatIsRefusedNamingTheOption) {
  auto r = run({XLBD_PATH, "--log-format=xml"});
  EXPECT_NE(r.exit_code, 0) << r.err;  // CLI11's code for a refused value
  EXPECT_NE(r.err.find("--log-format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("json"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace xlb::test

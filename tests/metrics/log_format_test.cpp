// Structured log events: logfmt text and the JSON formatter's one object per line.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "logging/event.h"
#include "logging/json_formatter.h"

namespace xlb::logging {
namespace {

TEST(Logfmt, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(logfmt({{"rule", "web"}, {"endpoints", "10.0.0.1:80 w1 up #0"}}),
            R"(rule=web endpoints="10.0.0.1:80 w1 up #0")");
  EXPECT_EQ(logfmt({{"reason", R"(said "no" \o/)"}, {"empty", ""}}),
            R"(reason="said \"no\" \\o/" empty="")");
}

// Installs a default logger writing to a string, restores the old one on destruction.
class CapturedLog {
 public:
  explicit CapturedLog(bool json) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    if (json) {
      sink->set_formatter(std::make_unique<JsonFormatter>());
    } else {
      sink->set_pattern("%l %v");
    }
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(Event, TextIsMessageThenFields) {
  CapturedLog log(false);
  event(spdlog::level::info, "rule created", {{"rule", "web"}, {"key", "20.20.20.1:80/tcp"}});
  EXPECT_EQ(log.text(), "info rule created: rule=web key=20.20.20.1:80/tcp\n");
}

TEST(Event, JsonCarriesFieldsAsMembers) {
  CapturedLog log(true);
  event(spdlog::level::warn, "endpoint health changed",
        {{"check", "10.0.0.1:80"}, {"reason", "said \"no\"\n"}});
  const std::string line = log.text();
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;  // one line, newline escaped
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["msg"], "endpoint health changed");
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["check"], "10.0.0.1:80");
  EXPECT_EQ(j["reason"], "said \"no\"\n");
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z")) << line;
}

TEST(Event, JsonOfPlainLogCallsHasTheTextAsMsg) {
  CapturedLog log(true);
  spdlog::info("serving the API on {}", "127.0.0.1:11111");
  const auto j = nlohmann::json::parse(log.text());
  EXPECT_EQ(j["msg"], "serving the API on 127.0.0.1:11111");
  EXPECT_EQ(j.size(), 3u);  // time, level, msg
}

TEST(Event, JsonSurvivesInvalidUtf8) {
  CapturedLog log(true);
  spdlog::info("bad byte \xff here");
  EXPECT_NO_THROW({
    auto parsed = nlohmann::json::parse(log.text());
    (void)parsed;
  }) << log.text();
}

}  // namespace
}  // namespace xlb::logging

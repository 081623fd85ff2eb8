// ConfigText: the store's document, rebuilt from per-rule pieces, always reads back as exactly
// the configuration given, across creates, replaces and removals.
#include "store/config_text.h"

#include <gtest/gtest.h>

#include "model/json.h"

namespace xlb {
namespace {

model::Service rule(int i, const std::string& endpoint) {
  model::Service s;
  s.key = {"10.0.0." + std::to_string(i), model::Protocol::tcp, 80};
  s.name = "r" + std::to_string(i);
  s.endpoints = {{endpoint, 8080, 1, model::EndpointState::up}};
  return s;
}

model::Config read_back(const std::string& text) {
  auto cfg = model::config_from_json(nlohmann::json::parse(text));
  EXPECT_TRUE(cfg.ok()) << cfg.error().message;
  return cfg.ok() ? *cfg : model::Config{};
}

TEST(ConfigTextTest, EmptyConfigurationReadsBack) {
  ConfigText text;
  EXPECT_EQ(read_back(text.render({})), model::Config{});
}

TEST(ConfigTextTest, EveryChangeReadsBackAsTheGivenConfiguration) {
  ConfigText text;
  model::Config cfg{{rule(1, "10.0.1.1"), rule(2, "10.0.1.2"), rule(3, "10.0.1.3")}};
  EXPECT_EQ(read_back(text.render(cfg)), cfg);

  cfg.services[1].endpoints[0].state = model::EndpointState::down;  // replace one rule
  EXPECT_EQ(read_back(text.render(cfg)), cfg);

  cfg.services.erase(cfg.services.begin());  // remove one
  cfg.services.push_back(rule(4, "10.0.1.4"));
  cfg.endpoint_probes.push_back({.ip = "10.0.1.4"});
  EXPECT_EQ(read_back(text.render(cfg)), cfg);

  // A removed rule coming back with other endpoints is not served from a stale piece.
  cfg.services.push_back(rule(1, "10.0.1.9"));
  EXPECT_EQ(read_back(text.render(cfg)), cfg);
}

TEST(ConfigTextTest, OneRulePerLine) {
  ConfigText text;
  const std::string& out = text.render({{rule(1, "10.0.1.1"), rule(2, "10.0.1.2")}});
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
}

}  // namespace
}  // namespace xlb

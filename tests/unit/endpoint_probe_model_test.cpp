// Hosts' own probes in the model: JSON (strict, round trip), validation, and which check governs
// an endpoint (model/endpoint_check.h).
#include <gtest/gtest.h>

#include "model/endpoint_check.h"
#include "model/json.h"
#include "model/validate.h"

namespace xlb::model {
namespace {

using nlohmann::json;

Service rule(uint16_t port, bool monitor, std::vector<std::string> ips, uint16_t target = 8080) {
  Service s;
  s.key = {"10.0.0.100", Protocol::tcp, port};
  s.monitor = monitor;
  for (const auto& ip : ips) s.endpoints.push_back({ip, target, 1, EndpointState::up});
  return s;
}

EndpointProbe http_probe(const std::string& ip) {
  EndpointProbe p;
  p.ip = ip;
  p.name = "b1";
  p.probe.type = health::ProbeType::http;
  p.probe.request = "/health";
  p.probe.expect_status = {200, 200};
  p.probe.period_s = 1;
  p.probe.timeout_s = 0.5;
  p.probe.retries = 3;
  p.probe.rise = 1;
  return p;
}

Error probe_error(const json& j) {
  auto r = endpoint_probe_from_json(j);
  EXPECT_FALSE(r.ok()) << j.dump();
  return r.ok() ? Error{} : r.error();
}

TEST(EndpointProbeJson, RoundTripsEveryField) {
  EndpointProbe p = http_probe("10.0.1.2");
  p.probe.port = 8081;
  p.probe.expect = "ok";
  auto back = endpoint_probe_from_json(to_json(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, p);
  EXPECT_EQ(to_json(p)["expect_status"], "200");
}

TEST(EndpointProbeJson, DefaultsAreTheEngineDefaults) {
  auto r = endpoint_probe_from_json(json{{"ip", "10.0.1.2"}, {"type", "tcp"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->probe, health::ProbeSpec{.type = health::ProbeType::tcp});
  EXPECT_EQ(r->probe.port, 0);  // each rule's target port
}

TEST(EndpointProbeJson, AShortPeriodGetsATimeoutThatFitsIt) {
  auto r = endpoint_probe_from_json(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"period", 1}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->probe.timeout_s, 1.0);
  r = endpoint_probe_from_json(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"period", 10}});
  EXPECT_EQ(r->probe.timeout_s, 2.0);
  EXPECT_TRUE(validate(*r).ok());
  auto bad = endpoint_probe_from_json(
      json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"period", 1}, {"timeout", 3}});
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(validate(*bad).error().field, "timeout");
}

TEST(EndpointProbeJson, StrictFieldsNameTheProblem) {
  EXPECT_EQ(probe_error(json{{"type", "tcp"}}).field, "ip");
  EXPECT_EQ(probe_error(json{{"ip", "10.0.1.2"}}).field, "type");
  Error type = probe_error(json{{"ip", "10.0.1.2"}, {"type", "icmp"}});
  EXPECT_EQ(type.field, "type");
  EXPECT_NE(type.message.find("none, ping, tcp, udp, http, https"), std::string::npos);
  Error typo = probe_error(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"perod", 1}});
  EXPECT_EQ(typo.field, "perod");
  EXPECT_NE(typo.message.find("allowed:"), std::string::npos);
  EXPECT_EQ(probe_error(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"period", "1s"}}).field,
            "period");
  EXPECT_EQ(probe_error(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"retries", 0}}).field,
            "retries");
  EXPECT_EQ(probe_error(json{{"ip", "10.0.1.2"}, {"type", "tcp"}, {"port", 70000}}).field, "port");
  EXPECT_EQ(probe_error(json{{"ip", "10.0.1.2"}, {"type", "http"}, {"expect_status", "2xx"}}).field,
            "expect_status");
}

TEST(EndpointProbeJson, ConfigCarriesProbesAndOlderConfigsHaveNone) {
  Config cfg{{rule(80, false, {"10.0.1.2"})}, {http_probe("10.0.1.2")}};
  auto back = config_from_json(to_json(cfg));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cfg);

  json old = to_json(cfg);
  old.erase("endpoint_probes");
  auto r = config_from_json(old);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->endpoint_probes.empty());

  json bad = to_json(cfg);
  bad["endpoint_probes"][0]["period"] = "fast";
  auto e = config_from_json(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().field, "endpoint_probes[0].period");
}

TEST(RuleJson, OnDownAndFailOpen) {
  json j = to_json(rule(80, true, {"10.0.1.2"}));
  EXPECT_EQ(j["on_down"], "keep");
  EXPECT_EQ(j["fail_open"], false);
  j["on_down"] = "reset";
  j["fail_open"] = true;
  auto s = service_from_json(j);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->on_down, OnDown::reset);
  EXPECT_TRUE(s->fail_open);
  j["on_down"] = "drop";
  auto bad = service_from_json(j);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "on_down");
  EXPECT_NE(bad.error().message.find("keep, reset"), std::string::npos);
}

TEST(EndpointProbeValidate, HealthRulesWithTheFieldsAsInJson) {
  EndpointProbe p = http_probe("10.0.1.2");
  EXPECT_TRUE(validate(p).ok());
  p.probe.period_s = 0.01;
  auto r = validate(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "period");
  EXPECT_EQ(r.error().message, "period must be from 0.1 to 3600 seconds, got 0.01");

  p = http_probe("10.0.1.2");
  p.probe.timeout_s = 2;  // above the 1 s period
  r = validate(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "timeout");
  EXPECT_NE(r.error().message.find("up to period (1)"), std::string::npos) << r.error().message;

  p = http_probe("224.0.0.1");
  EXPECT_EQ(validate(p).error().field, "ip");
  p = http_probe("10.0.1.2");
  p.name = "has space";
  EXPECT_EQ(validate(p).error().field, "name");
  p = http_probe("10.0.1.2");
  p.probe.type = health::ProbeType::tcp;  // a path means nothing to tcp
  EXPECT_EQ(validate(p).error().field, "request");
}

TEST(EndpointProbeValidate, ConfigNamesTheProbeAndRefusesTwoForOneHost) {
  Config cfg{{rule(80, false, {"10.0.1.2"})}, {http_probe("10.0.1.2"), http_probe("10.0.1.3")}};
  EXPECT_TRUE(validate(cfg).ok());
  cfg.endpoint_probes[1].probe.retries = 0;
  EXPECT_EQ(validate(cfg).error().field, "endpoint_probes[1].retries");
  cfg.endpoint_probes[1] = http_probe("10.0.1.2");
  auto r = validate(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "endpoint_probes[1]");
  EXPECT_NE(r.error().message.find("one probe"), std::string::npos);
}

TEST(EndpointCheck, MonitoredRuleProbesTcpOnTheTargetPort) {
  Service s = rule(80, true, {"10.0.1.2"});
  auto c = endpoint_check({}, s, s.endpoints[0]);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "10.0.1.2:8080");
  EXPECT_EQ(c->spec.type, health::ProbeType::tcp);
  EXPECT_EQ(c->spec.port, 8080);
  EXPECT_FALSE(endpoint_check({}, rule(80, false, {"10.0.1.2"}), s.endpoints[0]));
}

TEST(EndpointCheck, HostProbeWinsInEveryRuleMonitoredOrNot) {
  std::vector<EndpointProbe> probes{http_probe("10.0.1.2")};
  for (bool monitor : {true, false}) {
    Service s = rule(80, monitor, {"10.0.1.2", "10.0.1.3"}, 9090);
    auto c = endpoint_check(probes, s, s.endpoints[0]);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->spec.type, health::ProbeType::http);
    EXPECT_EQ(c->spec.ip, "10.0.1.2");
    EXPECT_EQ(c->spec.port, 9090);  // no probe port: the endpoint's target port in this rule
    EXPECT_EQ(c->id, "10.0.1.2:9090");
    EXPECT_EQ(c->name, "b1");
    // The other endpoint keeps the rule's default (or nothing).
    EXPECT_EQ(endpoint_check(probes, s, s.endpoints[1]).has_value(), monitor);
  }
}

TEST(EndpointCheck, ProbePortAndPortlessTypesGiveOneCheckPerHost) {
  std::vector<EndpointProbe> probes{http_probe("10.0.1.2")};
  probes[0].probe.port = 8081;
  Service a = rule(80, false, {"10.0.1.2"}, 8080), b = rule(81, false, {"10.0.1.2"}, 9090);
  EXPECT_EQ(endpoint_check(probes, a, a.endpoints[0])->id, "10.0.1.2:8081");
  EXPECT_EQ(endpoint_check(probes, b, b.endpoints[0])->id, "10.0.1.2:8081");

  probes[0].probe = health::ProbeSpec{.type = health::ProbeType::ping};
  auto c = endpoint_check(probes, a, a.endpoints[0]);
  EXPECT_EQ(c->id, "10.0.1.2");
  EXPECT_EQ(c->spec.port, 0);
  EXPECT_EQ(standalone_check(probes[0])->id, "10.0.1.2");
}

TEST(EndpointCheck, StandaloneNeedsAPortWhenTheTypeUsesOne) {
  EndpointProbe p = http_probe("10.0.1.2");
  EXPECT_FALSE(standalone_check(p));
  p.probe.port = 8080;
  auto c = standalone_check(p);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "10.0.1.2:8080");
  EXPECT_EQ(c->spec.ip, "10.0.1.2");
}

}  // namespace
}  // namespace xlb::model

// xlbctl argument syntax: what becomes a request, and one-line errors naming the flag.
#include "cli/lb_args.h"

#include <gtest/gtest.h>

namespace xlb::cli {
namespace {

TEST(PortMappings, PortAndTargetPort) {
  auto m = parse_port_mappings("--tcp", {"80:8080"});
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->size(), 1u);
  EXPECT_EQ((*m)[0].port, 80);
  EXPECT_EQ((*m)[0].target, 8080);
}

TEST(PortMappings, TargetDefaultsToPortAndListsAreAccepted) {
  auto m = parse_port_mappings("--tcp", {"80,443:8443"});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].target, 80);
  EXPECT_EQ((*m)[1].port, 443);
  EXPECT_EQ((*m)[1].target, 8443);
}

TEST(PortMappings, BadSyntaxNamesTheFlag) {
  for (const char* bad : {"http", "80:", ":80", "80:90:100", "", "80:8o"}) {
    auto m = parse_port_mappings("--udp", {bad});
    ASSERT_FALSE(m) << bad;
    EXPECT_EQ(m.error().field, "--udp");
    EXPECT_EQ(m.error().message.rfind("--udp expects <port>:<targetPort>", 0), 0u)
        << m.error().message;
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
  }
}

TEST(PortMappings, OutOfRangeNumbersAreLeftToTheApi) {
  auto m = parse_port_mappings("--tcp", {"0:70000"});
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[0].port, 0);
  EXPECT_EQ((*m)[0].target, 70000);
}

TEST(Endpoints, IpAndWeight) {
  auto eps = parse_endpoints({"10.0.0.2:1,10.0.0.3:20"});
  ASSERT_TRUE(eps);
  ASSERT_EQ(eps->size(), 2u);
  EXPECT_EQ((*eps)[0].ip, "10.0.0.2");
  EXPECT_EQ((*eps)[1].weight, 20);
}

TEST(Endpoints, WeightDefaultsToOne) {
  auto eps = parse_endpoints({"10.0.0.2"});
  ASSERT_TRUE(eps);
  EXPECT_EQ((*eps)[0].weight, 1);
}

TEST(Endpoints, BadSyntaxNamesTheFlag) {
  for (const char* bad : {"10.0.0.2:x", ":1", "10.0.0.2:", "10.0.0.2:1,,10.0.0.3:1"}) {
    auto eps = parse_endpoints({bad});
    ASSERT_FALSE(eps) << bad;
    EXPECT_EQ(eps.error().field, "--endpoints");
    EXPECT_NE(eps.error().message.find("--endpoints expects <ip>:<weight>"), std::string::npos);
  }
}

TEST(BuildRules, OneRulePerPortWithOptionsPassedThrough) {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.tcp = {"80:8080"};
  args.udp = {"53"};
  args.endpoints = {"10.0.1.2:1,10.0.1.3:2"};
  args.mode = "fullnat";
  args.select = "maglev";
  args.name = "web";
  args.monitor = true;
  args.inactive_timeout = 30;
  args.ppv2 = true;
  auto rules = build_rules(args);
  ASSERT_TRUE(rules) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0], nlohmann::json::parse(R"({
    "vip":"10.0.0.100","protocol":"tcp","port":80,"name":"web","mode":"fullnat",
    "select":"maglev","monitor":true,"inactive_timeout":30,"ppv2":true,
    "endpoints":[{"ip":"10.0.1.2","port":8080,"weight":1},{"ip":"10.0.1.3","port":8080,"weight":2}]
  })"));
  EXPECT_EQ((*rules)[1]["protocol"], "udp");
  EXPECT_EQ((*rules)[1]["endpoints"][0]["port"], 53);
}

TEST(BuildRules, UnsetOptionsAreLeftToTheDaemonsDefaults) {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.tcp = {"80"};
  args.endpoints = {"10.0.1.2:1"};
  auto rules = build_rules(args);
  ASSERT_TRUE(rules);
  EXPECT_FALSE((*rules)[0].contains("mode"));
  EXPECT_FALSE((*rules)[0].contains("select"));
  EXPECT_FALSE((*rules)[0].contains("monitor"));
}

TEST(BuildRules, NeedsAPortAndEndpoints) {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.endpoints = {"10.0.1.2:1"};
  auto no_port = build_rules(args);
  ASSERT_FALSE(no_port);
  EXPECT_NE(no_port.error().message.find("--tcp"), std::string::npos);

  args.tcp = {"80"};
  args.endpoints.clear();
  auto no_eps = build_rules(args);
  ASSERT_FALSE(no_eps);
  EXPECT_EQ(no_eps.error().field, "--endpoints");
}

TEST(RulePath, VipProtocolPort) {
  EXPECT_EQ(rule_path("10.0.0.100", "udp", 53), "/api/v1/loadbalancers/10.0.0.100/udp/53");
}

}  // namespace
}  // namespace xlb::cli

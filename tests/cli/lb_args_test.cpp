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

TEST(PortMappings, OutOfRangeNumbersAreLeftToTheModel) {
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

// IPv6: "[addr]:weight", "[addr]", or a bare address (weight 1); a bare item with several ':'
// is always an address, so "2001:db8:1::10:1" is not 2001:db8:1::10 with weight 1.
TEST(Endpoints, Ipv6InBracketsOrBare) {
  auto eps = parse_endpoints({"[2001:db8:1::10]:3,[2001:db8:1::11],2001:db8:1::10:1"});
  ASSERT_TRUE(eps) << eps.error().message;
  ASSERT_EQ(eps->size(), 3u);
  EXPECT_EQ((*eps)[0].ip, "2001:db8:1::10");
  EXPECT_EQ((*eps)[0].weight, 3);
  EXPECT_EQ((*eps)[1].ip, "2001:db8:1::11");
  EXPECT_EQ((*eps)[1].weight, 1);
  EXPECT_EQ((*eps)[2].ip, "2001:db8:1::10:1");
  EXPECT_EQ((*eps)[2].weight, 1);
}

TEST(Endpoints, BadIpv6SyntaxNamesTheFlag) {
  for (const char* bad : {"[2001:db8::1", "[2001:db8::1]:", "[2001:db8::1]:x", "[2001:db8::1]3",
                          "[]:1", "[10.0.0.2]:1", "[2001:db8::1]:1:2"}) {
    auto eps = parse_endpoints({bad});
    ASSERT_FALSE(eps) << bad;
    EXPECT_EQ(eps.error().field, "--endpoints");
    EXPECT_NE(eps.error().message.find("IPv6: [<ip>]:<weight>"), std::string::npos)
        << eps.error().message;
  }
}

CreateLbArgs web_args() {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.tcp = {"80:8080"};
  args.endpoints = {"10.0.1.2:1,10.0.1.3:2"};
  return args;
}

// The one rule create lb makes of `args`; fails the test when there is not exactly one.
Result<model::Service> only_rule(const CreateLbArgs& args) {
  auto plan = plan_rules(args);
  if (!plan) return plan.error();
  EXPECT_EQ(plan->rules.size(), 1u);
  return rule_model(args, *plan, plan->rules.at(0));
}

// Every option's value: wire_schema_test.cpp (the model equals what the API decodes).
TEST(RuleModel, OneRulePerPortEachWithEveryEndpoint) {
  CreateLbArgs args = web_args();
  args.udp = {"53"};
  args.name = "web";
  auto plan = plan_rules(args);
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_EQ(plan->rules.size(), 2u);
  auto tcp = rule_model(args, *plan, plan->rules[0]);
  ASSERT_TRUE(tcp) << tcp.error().message;
  EXPECT_EQ(tcp->key, (model::ServiceKey{"10.0.0.100", model::Protocol::tcp, 80}));
  EXPECT_EQ(tcp->name, "web");
  EXPECT_EQ(tcp->endpoints,
            (std::vector<model::Endpoint>{{"10.0.1.2", 8080, 1}, {"10.0.1.3", 8080, 2}}));
  auto udp = rule_model(args, *plan, plan->rules[1]);
  ASSERT_TRUE(udp) << udp.error().message;
  EXPECT_EQ(udp->key, (model::ServiceKey{"10.0.0.100", model::Protocol::udp, 53}));
  EXPECT_EQ(udp->name, "web");
  EXPECT_EQ(udp->endpoints[1].port, 53);
}

TEST(RuleModel, DsrFlagSetsTheTunnelOnlyForIpip) {
  CreateLbArgs args = web_args();
  args.dsr = "ipip";
  EXPECT_TRUE(only_rule(args)->dsr_ipip);
  args.dsr = "auto";
  EXPECT_FALSE(only_rule(args)->dsr_ipip);
}

TEST(PlanRules, NeedsAPortAndEndpoints) {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.endpoints = {"10.0.1.2:1"};
  auto no_port = plan_rules(args);
  ASSERT_FALSE(no_port);
  EXPECT_NE(no_port.error().message.find("--tcp"), std::string::npos);

  args.tcp = {"80"};
  args.endpoints.clear();
  auto no_eps = plan_rules(args);
  ASSERT_FALSE(no_eps);
  EXPECT_EQ(no_eps.error().field, "--endpoints");
}

TEST(PlanRules, SyntaxOfEveryFlagIsCheckedFirst) {
  CreateLbArgs args = web_args();
  args.snat = {"10.0.9.1,,10.0.9.2"};
  auto snat = plan_rules(args);
  ASSERT_FALSE(snat);
  EXPECT_EQ(snat.error().field, "--snat");
  args.snat.clear();
  args.dsr = "gre";
  auto dsr = plan_rules(args);
  ASSERT_FALSE(dsr);
  EXPECT_EQ(dsr.error().field, "--dsr");
}

TEST(RulePath, VipProtocolPort) {
  EXPECT_EQ(rule_path("10.0.0.100", "udp", 53), "/api/v1/loadbalancers/10.0.0.100/udp/53");
}

}  // namespace
}  // namespace xlb::cli

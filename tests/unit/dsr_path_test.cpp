// The one prediction of a DSR rule's path per endpoint (diagnose/dsr_path.h), from routing facts
// as bpf_fib_lookup would answer: on-link is L2, a gateway between is IPIP.
#include "diagnose/dsr_path.h"

#include <gtest/gtest.h>

namespace xlb::diagnose {
namespace {

model::Service dsr_rule_to(std::vector<std::string> ips) {
  model::Service svc;
  svc.key = {"10.0.0.100", model::Protocol::tcp, 80};
  svc.mode = model::Mode::dsr;
  for (auto& ip : ips) {
    model::Endpoint ep;
    ep.ip = ip;
    ep.port = 80;
    svc.endpoints.push_back(ep);
  }
  return svc;
}

// 10.0.1.0/24 on-link on eth1; 10.0.9.0/24 via 10.0.1.254; 10.0.1.50 routed by a /32 through the
// same gateway although it sits in the connected subnet; no route to 192.0.2.1.
NetFacts dsr_test_routes() {
  NetFacts net;
  net.checked = true;
  net.subnets = {{"10.0.1.0/24", "eth1", parse_ip_cidr("10.0.1.0/24").value()}};
  net.routes = {{"10.0.1.2", true, "", "eth1"},
                {"10.0.9.2", true, "10.0.1.254", "eth1"},
                {"10.0.1.50", true, "10.0.1.254", "eth1"},
                {"192.0.2.1", false, "", ""}};
  return net;
}

TEST(DsrPath, OnLinkIsL2AndAGatewayIsIpip) {
  const auto svc = dsr_rule_to({"10.0.1.2", "10.0.9.2"});
  EXPECT_EQ(predict_dsr_path(svc, dsr_test_routes(), "10.0.1.2"), DsrPath::l2);
  EXPECT_EQ(predict_dsr_path(svc, dsr_test_routes(), "10.0.9.2"), DsrPath::ipip);
}

// The datapath follows the route, not the subnet: a host route via a gateway wins.
TEST(DsrPath, ARouteViaAGatewayInsideAConnectedSubnetIsIpip) {
  EXPECT_EQ(predict_dsr_path(dsr_rule_to({"10.0.1.50"}), dsr_test_routes(), "10.0.1.50"),
            DsrPath::ipip);
}

TEST(DsrPath, NoRouteIsNotL2) {
  EXPECT_EQ(predict_dsr_path(dsr_rule_to({"192.0.2.1"}), dsr_test_routes(), "192.0.2.1"),
            DsrPath::ipip);
}

TEST(DsrPath, ForcedIpipNeedsNoRoutes) {
  auto svc = dsr_rule_to({"10.0.1.2"});
  svc.dsr_ipip = true;
  EXPECT_EQ(predict_dsr_path(svc, NetFacts{}, "10.0.1.2"), DsrPath::ipip);
  EXPECT_EQ(effective_mode(svc, NetFacts{}), "dsr:ipip");
}

TEST(DsrPath, UnreadableRoutesPredictNothing) {
  const auto svc = dsr_rule_to({"10.0.1.2"});
  EXPECT_EQ(predict_dsr_path(svc, NetFacts{}, "10.0.1.2"), std::nullopt);
  EXPECT_EQ(effective_mode(svc, NetFacts{}), "dsr");
}

TEST(DsrPath, EffectiveModeNamesEveryKindOfEndpoint) {
  EXPECT_EQ(effective_mode(dsr_rule_to({"10.0.1.2"}), dsr_test_routes()), "dsr:l2");
  EXPECT_EQ(effective_mode(dsr_rule_to({"10.0.9.2"}), dsr_test_routes()), "dsr:ipip");
  EXPECT_EQ(effective_mode(dsr_rule_to({"10.0.1.2", "10.0.9.2"}), dsr_test_routes()),
            "dsr:l2,ipip");
  auto nat = dsr_rule_to({"10.0.9.2"});
  nat.mode = model::Mode::fullnat;
  EXPECT_EQ(effective_mode(nat, dsr_test_routes()), "fullnat");
}

// `get lb -o wide` names NAT64 (an IPv6 vip over IPv4 endpoints) in the mode column.
TEST(DsrPath, EffectiveModeOfANat64RuleIsFullnatNat64) {
  auto svc = dsr_rule_to({"10.0.1.2"});
  svc.mode = model::Mode::fullnat;
  EXPECT_EQ(effective_mode_here(svc), "fullnat");
  svc.key.vip = "2001:db8::200";
  EXPECT_EQ(effective_mode_here(svc), "fullnat:nat64");
}

}  // namespace
}  // namespace xlb::diagnose

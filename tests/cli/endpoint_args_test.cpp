// `xlbctl create endpoint` flags → the POST /api/v1/endpoints body.
#include "cli/endpoint_args.h"

#include <gtest/gtest.h>

namespace xlb::cli {
namespace {

using nlohmann::json;

TEST(EndpointArgs, OnlyTheGivenFlagsAreSent) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "tcp";
  auto body = build_endpoint_probe(a);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, (json{{"ip", "10.0.1.2"}, {"type", "tcp"}}));

  a.probeport = 8081;
  a.period = 0.5;
  a.timeout = 0.2;
  a.retries = 3;
  a.rise = 1;
  a.name = "b1";
  body = build_endpoint_probe(a);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, (json{{"ip", "10.0.1.2"},
                         {"type", "tcp"},
                         {"port", 8081},
                         {"period", 0.5},
                         {"timeout", 0.2},
                         {"retries", 3},
                         {"rise", 1},
                         {"name", "b1"}}));
}

TEST(EndpointArgs, HttpProberespIsAStatusOrABodyOrBoth) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "http";
  a.probereq = "/health";
  a.proberesp = {"200-204", "ok"};
  auto body = build_endpoint_probe(a);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["request"], "/health");
  EXPECT_EQ((*body)["expect_status"], "200-204");
  EXPECT_EQ((*body)["expect"], "ok");

  a.proberesp = {"200", "201"};
  auto twice = build_endpoint_probe(a);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().field, "--proberesp");
  EXPECT_NE(twice.error().message.find("status twice"), std::string::npos);
}

TEST(EndpointArgs, UdpProberespIsTheExpectedReply) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "udp";
  a.proberesp = {"200"};
  auto body = build_endpoint_probe(a);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["expect"], "200");
  EXPECT_FALSE(body->contains("expect_status"));
}

TEST(EndpointArgs, ProbetypeIsRequired) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  auto body = build_endpoint_probe(a);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().field, "--probetype");
}

}  // namespace
}  // namespace xlb::cli

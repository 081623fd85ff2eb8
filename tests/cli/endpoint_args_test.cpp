// `xlbctl create endpoint` flags → the host probe model (POST /api/v1/endpoints sends its
// to_json; wire_schema_test.cpp checks the API decodes it back).
#include "cli/endpoint_args.h"

#include <gtest/gtest.h>

namespace xlb::cli {
namespace {

TEST(EndpointArgs, UnsetFlagsKeepTheModelsDefaults) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "tcp";
  auto probe = build_endpoint_probe(a);
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  model::EndpointProbe expected;
  expected.ip = "10.0.1.2";
  expected.probe.type = health::ProbeType::tcp;
  EXPECT_EQ(*probe, expected);

  a.probeport = 8081;
  a.period = 0.5;
  a.retries = 3;
  a.rise = 1;
  a.name = "b1";
  probe = build_endpoint_probe(a);
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  EXPECT_EQ(probe->name, "b1");
  EXPECT_EQ(probe->probe.port, 8081);
  EXPECT_EQ(probe->probe.period_s, 0.5);
  EXPECT_EQ(probe->probe.timeout_s, 0.5);  // the 2 s default does not fit a 0.5 s period
  EXPECT_EQ(probe->probe.retries, 3);
  EXPECT_EQ(probe->probe.rise, 1);
}

TEST(EndpointArgs, HttpProberespIsAStatusOrABodyOrBoth) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "http";
  a.probereq = "/health";
  a.proberesp = {"200-204", "ok"};
  auto probe = build_endpoint_probe(a);
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  EXPECT_EQ(probe->probe.request, "/health");
  EXPECT_EQ(probe->probe.expect_status, (health::StatusRange{200, 204}));
  EXPECT_EQ(probe->probe.expect, "ok");

  a.proberesp = {"200", "201"};
  auto twice = build_endpoint_probe(a);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().field, "--proberesp");
  EXPECT_NE(twice.error().message.find("status twice"), std::string::npos);

  a.proberesp = {"ok", "fine"};
  auto text_twice = build_endpoint_probe(a);
  ASSERT_FALSE(text_twice.ok());
  EXPECT_NE(text_twice.error().message.find("reply text twice (\"ok\" and \"fine\")"),
            std::string::npos)
      << text_twice.error().message;
}

TEST(EndpointArgs, UdpProberespIsTheExpectedReply) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  a.probetype = "udp";
  a.proberesp = {"200"};
  auto probe = build_endpoint_probe(a);
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->probe.expect, "200");
  EXPECT_EQ(probe->probe.expect_status, health::StatusRange{});
}

TEST(EndpointArgs, ProbetypeIsRequired) {
  CreateEndpointArgs a;
  a.ip = "10.0.1.2";
  auto probe = build_endpoint_probe(a);
  ASSERT_FALSE(probe.ok());
  EXPECT_EQ(probe.error().field, "--probetype");
}

}  // namespace
}  // namespace xlb::cli

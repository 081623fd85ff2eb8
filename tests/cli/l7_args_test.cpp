// xlbctl's fullproxy flags: --host, --xff, --xff-trusted and --reuse reach the API's decoder as
// the same model; delete lb --host names the rule's path; get lb -o wide shows them.
#include <gtest/gtest.h>

#include "api/request_body.h"
#include "cli/format.h"
#include "cli/lb_args.h"
#include "model/json.h"

namespace xlb::cli {
namespace {

Result<model::Service> l7_rule_of(const CreateLbArgs& args) {
  auto plan = plan_rules(args);
  if (!plan) return plan.error();
  return rule_model(args, *plan, plan->rules.at(0));
}

CreateLbArgs fullproxy_args() {
  CreateLbArgs args;
  args.vip = "20.20.20.1";
  args.tcp = {"80:8080"};
  args.endpoints = {"10.1.2.10:1,10.1.2.11:1"};
  args.mode = "fullproxy";
  return args;
}

TEST(L7Args, FlagsRoundTripThroughTheApiDecoder) {
  CreateLbArgs args = fullproxy_args();
  args.host = "WWW.A.com";
  args.xff = "replace";
  args.xff_trusted = {"10.0.0.0/8,192.0.2.1"};
  args.reuse = "never";
  args.security = "https";
  args.tls_cert = "/etc/xlb/tls/a.crt";
  args.tls_key = "/etc/xlb/tls/a.key";
  auto svc = l7_rule_of(args);
  ASSERT_TRUE(svc) << svc.error().message;
  EXPECT_EQ(svc->key.host, "www.a.com");
  EXPECT_EQ(svc->security, model::Security::https);
  EXPECT_EQ(svc->tls_key, "/etc/xlb/tls/a.key");
  EXPECT_EQ(svc->xff, model::Xff::replace);
  EXPECT_EQ(svc->reuse, model::Reuse::never);
  EXPECT_EQ(svc->xff_trusted, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.1"}));
  auto body = api::parse_json_object(model::to_json(*svc).dump());
  ASSERT_TRUE(body);
  auto decoded = model::service_from_json(*body);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, *svc);
}

TEST(L7Args, BadValuesAreRefusedInTheApisWords) {
  CreateLbArgs args = fullproxy_args();
  args.xff = "prepend";
  auto svc = l7_rule_of(args);
  ASSERT_FALSE(svc);
  EXPECT_EQ(svc.error().field, "xff");
  EXPECT_EQ(svc.error().message, "xff must be one of append, replace, off, got \"prepend\"");
  args = fullproxy_args();
  args.xff_trusted = {"10.0.0.0/8,"};
  EXPECT_EQ(l7_rule_of(args).error().field, "--xff-trusted");
}

TEST(L7Args, RulePathCarriesTheHost) {
  EXPECT_EQ(rule_path("20.20.20.1", "tcp", 80), "/api/v1/loadbalancers/20.20.20.1/tcp/80");
  EXPECT_EQ(rule_path("20.20.20.1", "tcp", 80, "WWW.A.com"),
            "/api/v1/loadbalancers/20.20.20.1/tcp/80/www.a.com");
}

TEST(L7Args, WideListingShowsTheL7ColumnOnlyWithFullproxyRules) {
  auto svc = l7_rule_of(fullproxy_args());
  ASSERT_TRUE(svc);
  nlohmann::json l7 = model::to_json(*svc);
  l7["xff_trusted"] = {"10.0.0.0/8"};
  nlohmann::json answer = {{"loadbalancers", {l7}}};
  const std::string wide = format_loadbalancers(answer, Output::wide);
  EXPECT_NE(wide.find("L7"), std::string::npos) << wide;
  EXPECT_NE(wide.find("host=* xff=append trusted=10.0.0.0/8 reuse=safe"), std::string::npos)
      << wide;
  EXPECT_NE(wide.find("fullproxy"), std::string::npos) << wide;

  CreateLbArgs nat = fullproxy_args();
  nat.mode.reset();
  answer = {{"loadbalancers", {model::to_json(*l7_rule_of(nat))}}};
  EXPECT_EQ(format_loadbalancers(answer, Output::wide).find("L7"), std::string::npos);
}

}  // namespace
}  // namespace xlb::cli

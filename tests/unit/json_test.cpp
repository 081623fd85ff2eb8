#include "model/json.h"

#include <gtest/gtest.h>

#include "model/validate.h"

namespace xlb::model {
namespace {

using nlohmann::json;

json minimal() {
  return json::parse(
      R"({"vip":"10.0.0.100","protocol":"tcp","port":80,"endpoints":[{"ip":"10.0.1.2"}]})");
}

Error parse_error(const json& j) {
  auto r = service_from_json(j);
  EXPECT_FALSE(r.ok()) << j.dump();
  return r.ok() ? Error{} : r.error();
}

TEST(Json, MinimalRuleGetsDefaults) {
  auto r = service_from_json(minimal());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Service& s = *r;
  EXPECT_EQ(s.key.vip, "10.0.0.100");
  EXPECT_EQ(s.key.protocol, Protocol::tcp);
  EXPECT_EQ(s.key.port, 80);
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(display_name(s), "10.0.0.100:80/tcp");
  EXPECT_EQ(s.mode, Mode::nat);
  EXPECT_EQ(s.select, Select::rr);
  EXPECT_FALSE(s.monitor);
  EXPECT_FALSE(s.ppv2);
  EXPECT_EQ(s.inactive_timeout_s, 0u);
  ASSERT_EQ(s.endpoints.size(), 1u);
  EXPECT_EQ(s.endpoints[0].ip, "10.0.1.2");
  EXPECT_EQ(s.endpoints[0].port, 80);  // defaults to the rule port
  EXPECT_EQ(s.endpoints[0].weight, 1);
  EXPECT_EQ(s.endpoints[0].state, EndpointState::up);
}

TEST(Json, FullRuleRoundTrips) {
  json j = json::parse(R"({"vip":"10.0.0.100","protocol":"udp","port":53,"name":"dns",
    "mode":"dsr","select":"hash","monitor":true,"inactive_timeout":30,"ppv2":false,
    "snat":[],"dsr_ipip":true,"persist_timeout":600,"maglev_size":0,
    "on_down":"reset","fail_open":true,
    "endpoints":[{"ip":"10.0.1.2","port":53,"weight":7,"state":"draining"},
                 {"ip":"10.0.1.3","port":53,"weight":255,"state":"down"}]})");
  auto r = service_from_json(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->mode, Mode::dsr);
  EXPECT_EQ(r->select, Select::hash);
  EXPECT_EQ(r->endpoints[0].state, EndpointState::draining);
  EXPECT_EQ(to_json(*r), j);
  auto again = service_from_json(to_json(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

// Rules compare addresses as text, so IPv6 addresses are held in their one RFC 5952 form.
TEST(Json, Ipv6AddressesAreHeldInRfc5952Form) {
  json j = {{"vip", "2001:DB8:0::0100"},
            {"protocol", "tcp"},
            {"port", 80},
            {"mode", "fullnat"},
            {"snat", {"2001:db8:1:0:0:0:0:1"}},
            {"endpoints", {{{"ip", "2001:0db8:0001::0010"}, {"port", 8080}}}}};
  auto r = service_from_json(j);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->key.vip, "2001:db8::100");
  EXPECT_EQ(r->snat, std::vector<std::string>{"2001:db8:1::1"});
  EXPECT_EQ(r->endpoints[0].ip, "2001:db8:1::10");
  EXPECT_EQ(to_json(*r)["vip"], "2001:db8::100");
}

// NAT64 needs no field of its own: save (to_json) and apply (from_json, validate) give the same
// rule back, still NAT64.
TEST(Json, Nat64RuleRoundTripsThroughSaveAndApply) {
  json j = {{"vip", "2001:db8::200"},
            {"protocol", "tcp"},
            {"port", 80},
            {"mode", "fullnat"},
            {"snat", {"10.1.2.1"}},
            {"ppv2", true},
            {"endpoints", {{{"ip", "10.1.2.10"}, {"port", 8080}}, {{"ip", "10.1.2.11"}}}}};
  auto r = service_from_json(j);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(is_nat64(*r));
  Config saved{{*r}};
  auto applied = config_from_json(to_json(saved));
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(*applied, saved);
  EXPECT_TRUE(validate(*applied).ok());
  EXPECT_TRUE(is_nat64(applied->services.at(0)));
}

TEST(Json, NatIsAnAliasOfDefault) {
  json j = minimal();
  j["mode"] = "nat";
  auto r = service_from_json(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mode, Mode::nat);
  EXPECT_EQ(to_json(*r)["mode"], "default");
}

TEST(Json, ConfigRoundTrips) {
  Config cfg;
  cfg.services.push_back(*service_from_json(minimal()));
  json other = minimal();
  other["port"] = 443;
  other["name"] = "tls";
  cfg.services.push_back(*service_from_json(other));
  auto back = config_from_json(to_json(cfg));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, cfg);
}

TEST(Json, MissingRequiredFieldsAreNamed) {
  for (const char* field : {"vip", "protocol", "port", "endpoints"}) {
    json j = minimal();
    j.erase(field);
    Error e = parse_error(j);
    EXPECT_EQ(e.code, ErrorCode::invalid_argument);
    EXPECT_EQ(e.field, field);
    EXPECT_EQ(e.message, std::string(field) + " is required");
  }
  json j = minimal();
  j["endpoints"][0].erase("ip");
  EXPECT_EQ(parse_error(j).field, "endpoints[0].ip");
}

TEST(Json, UnknownFieldIsRejectedWithTheAllowedList) {
  json j = minimal();
  j["foo"] = 1;
  Error e = parse_error(j);
  EXPECT_EQ(e.field, "foo");
  EXPECT_EQ(e.message,
            "unknown field \"foo\"; allowed: vip, protocol, port, name, mode, select, monitor, "
            "inactive_timeout, ppv2, snat, dsr_ipip, persist_timeout, maglev_size, on_down, "
            "fail_open, host, xff, xff_trusted, reuse, security, tls_cert, tls_key, backend_ca, "
            "backend_name, insecure_backend, endpoints");

  j = minimal();
  j["endpoints"][0]["wieght"] = 3;
  e = parse_error(j);
  EXPECT_EQ(e.field, "endpoints[0].wieght");
  EXPECT_NE(e.message.find("allowed: ip, port, weight, state"), std::string::npos);
}

TEST(Json, WeightOfWrongTypeOrRangeNamesThePath) {
  json j = minimal();
  j["endpoints"].push_back({{"ip", "10.0.1.3"}, {"weight", "abc"}});
  Error e = parse_error(j);
  EXPECT_EQ(e.field, "endpoints[1].weight");
  EXPECT_EQ(e.message, "endpoints[1].weight must be an integer from 1 to 255, got \"abc\"");

  j["endpoints"][1]["weight"] = 256;
  EXPECT_EQ(parse_error(j).message,
            "endpoints[1].weight must be an integer from 1 to 255, got 256");
  j["endpoints"][1]["weight"] = 0;
  EXPECT_EQ(parse_error(j).field, "endpoints[1].weight");
  j["endpoints"][1]["weight"] = 1.5;
  EXPECT_EQ(parse_error(j).field, "endpoints[1].weight");
}

TEST(Json, PortsOutOfRangeOrHugeAreRefused) {
  for (json bad : {json(0), json(65536), json(-1), json(18446744073709551615ull), json("80"),
                   json(80.0), json(nullptr)}) {
    json j = minimal();
    j["port"] = bad;
    Error e = parse_error(j);
    EXPECT_EQ(e.field, "port") << bad.dump();
    EXPECT_EQ(e.message.rfind("port must be an integer from 1 to 65535, got ", 0), 0u) << e.message;
  }
  json j = minimal();
  j["endpoints"][0]["port"] = 70000;
  EXPECT_EQ(parse_error(j).field, "endpoints[0].port");
}

TEST(Json, WrongJsonTypesAreRefused) {
  struct Case {
    const char* field;
    json value;
    const char* expect;
  };
  for (const Case& c : {
           Case{"vip", json(5), "vip must be a string (an IPv4 or IPv6 address), got 5"},
           Case{"protocol", json("sctp"), "protocol must be one of tcp, udp, got \"sctp\""},
           Case{"mode", json("tunnel"),
                "mode must be one of default, nat, fullnat, dsr, fullproxy, got \"tunnel\""},
           Case{"select", json(1),
                "select must be one of rr, priority, hash, persist, lc, maglev, got 1"},
           Case{"monitor", json("yes"), "monitor must be true or false, got \"yes\""},
           Case{"ppv2", json(1), "ppv2 must be true or false, got 1"},
           Case{"name", json::array(), "name must be a string"},
           Case{"inactive_timeout", json(86401),
                "inactive_timeout must be an integer from 0 to 86400, got 86401"},
           Case{"endpoints", json::object(), "endpoints must be an array of endpoints, got {}"},
           Case{"snat", json("10.0.0.250"),
                "snat must be an array of IP addresses, got \"10.0.0.250\""},
           Case{"dsr_ipip", json("yes"), "dsr_ipip must be true or false, got \"yes\""},
           Case{"persist_timeout", json(86401),
                "persist_timeout must be an integer from 0 to 86400, got 86401"},
           Case{"persist_timeout", json(-1),
                "persist_timeout must be an integer from 0 to 86400, got -1"},
           Case{"maglev_size", json(65538),
                "maglev_size must be an integer from 0 to 65537, got 65538"},
           Case{"maglev_size", json("16381"),
                "maglev_size must be an integer from 0 to 65537, got \"16381\""},
       }) {
    json j = minimal();
    j[c.field] = c.value;
    Error e = parse_error(j);
    EXPECT_EQ(e.field, c.field);
    EXPECT_EQ(e.message.rfind(c.expect, 0), 0u) << e.message;
  }
  json j = minimal();
  j["endpoints"][0] = "10.0.1.2";
  Error e = parse_error(j);
  EXPECT_EQ(e.field, "endpoints[0]");
  EXPECT_EQ(parse_error(json::array()).field, "");
  j = minimal();
  j["endpoints"][0]["state"] = "sick";
  EXPECT_EQ(parse_error(j).message,
            "endpoints[0].state must be one of up, down, draining, got \"sick\"");
}

TEST(Json, ModeOptionsAreRead) {
  json j = minimal();
  j["mode"] = "fullnat";
  j["select"] = "maglev";
  j["snat"] = {"10.0.0.250", "10.0.0.251"};
  j["persist_timeout"] = 86400;
  j["maglev_size"] = 65537;
  auto r = service_from_json(j);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->snat, (std::vector<std::string>{"10.0.0.250", "10.0.0.251"}));
  EXPECT_FALSE(r->dsr_ipip);
  EXPECT_EQ(r->persist_timeout_s, 86400u);
  EXPECT_EQ(r->maglev_size, 65537u);
  auto again = service_from_json(to_json(*r));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *r);

  auto defaults = service_from_json(minimal());
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->snat.empty());
  EXPECT_FALSE(defaults->dsr_ipip);
  EXPECT_EQ(defaults->persist_timeout_s, 0u);
  EXPECT_EQ(defaults->maglev_size, 0u);
}

TEST(Json, SnatEntriesMustBeStringsAndNameTheirIndex) {
  json j = minimal();
  j["mode"] = "fullnat";
  j["snat"] = {"10.0.0.250", 7};
  Error e = parse_error(j);
  EXPECT_EQ(e.field, "snat[1]");
  EXPECT_EQ(e.message, "snat[1] must be a string (an IPv4 or IPv6 address), got 7");

  json cfg = {{"services", json::array({minimal(), j})}};
  EXPECT_EQ(config_from_json(cfg).error().field, "services[1].snat[1]");
}

TEST(Json, DsrSelectsHashUnlessSelectIsGiven) {
  json j = minimal();
  j["mode"] = "dsr";
  auto dsr = service_from_json(j);
  ASSERT_TRUE(dsr.ok());
  EXPECT_EQ(dsr->select, Select::hash);

  j["select"] = "rr";
  auto chosen = service_from_json(j);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->select, Select::rr);

  j = minimal();
  j["mode"] = "fullnat";  // other modes keep rr
  EXPECT_EQ(service_from_json(j)->select, Select::rr);
}

TEST(Json, ConfigErrorsCarryTheServiceIndex) {
  json cfg = {{"services", json::array({minimal(), minimal()})}};
  cfg["services"][1]["endpoints"][0]["weight"] = "x";
  auto r = config_from_json(cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "services[1].endpoints[0].weight");
  EXPECT_EQ(r.error().message.rfind("services[1].endpoints[0].weight must be", 0), 0u);

  EXPECT_EQ(config_from_json(json::object()).error().field, "services");
  EXPECT_EQ(config_from_json({{"services", 1}}).error().field, "services");
  EXPECT_EQ(config_from_json({{"services", json::array()}, {"x", 1}}).error().field, "x");
  auto empty = config_from_json({{"services", json::array()}});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->services.empty());
}

TEST(Json, LongOffendingValuesAreShortenedInMessages) {
  json j = minimal();
  j["port"] = std::string(1000, 'a');
  std::string message = parse_error(j).message;
  EXPECT_LT(message.size(), 200u);
  EXPECT_EQ(message.substr(message.size() - 3), "...");
}

TEST(Json, InvalidUtf8DoesNotThrow) {
  json j = minimal();
  j["port"] = std::string("\xff\xfe");
  EXPECT_EQ(parse_error(j).field, "port");
}

}  // namespace
}  // namespace xlb::model
